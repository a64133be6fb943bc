/**
 * Vitest setup: the structured records (dr.event, dr.heartbeat, ...) go nowhere during tests unless
 * DR_TEST_EVENTS=1, so a failing test's output is its own. Tests that assert records install their own sink.
 */
import { installEventSink } from '../../src/telemetry/events';

if (process.env.DR_TEST_EVENTS !== '1') installEventSink(() => undefined);

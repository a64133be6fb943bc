export {
  createHealthProbe,
  type DependencyOutcome,
  type HealthProbe,
  type HealthProbeDeps,
  type HealthProbeOutcome,
} from './health-probe';
export { classifyTransportError, failureClassOfCode } from './classify';
export {
  bodyMismatches,
  judgeResponse,
  DEFAULT_EXPECT_STATUS,
  type ProbeExpectations,
  type Verdict,
} from './judge';
export {
  createProbeAgents,
  postProbe,
  MAX_PROBE_BODY_BYTES,
  type HttpAnswer,
  type HttpFailure,
  type ProbeAgents,
} from './http';

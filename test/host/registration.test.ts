import * as path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { MissingSettingError, startFunctionsHost, type FunctionsHost } from '../../local/host';

const app = path.resolve(__dirname, '../fixtures/functions-app');
let host: FunctionsHost | undefined;
afterEach(async () => {
  await host?.stop();
  host = undefined;
});

describe('registration capture', () => {
  test('captures every app.* / df.app.* registration with its binding metadata', async () => {
    host = await startFunctionsHost({
      files: [
        path.join(app, 'clientHttp.ts'),
        path.join(app, 'timerTrigger.ts'),
        path.join(app, 'fanout.ts'),
      ],
      settings: { TICK_SCHEDULE: '0 */5 * * * *' },
      startTimers: false,
    });
    const byName = Object.fromEntries(host.registrations.map((r) => [r.name, r]));
    expect(byName.keyed).toMatchObject({
      kind: 'http',
      http: { route: 'keyed/{item:int}', methods: ['GET'], authLevel: 'function' },
      durableClientBinding: undefined,
    });
    expect(byName.startOrchestration).toMatchObject({
      kind: 'http',
      http: { route: 'orchestrators/{name}/{id?}', methods: ['POST'], authLevel: 'anonymous' },
    });
    expect(byName.startOrchestration!.durableClientBinding).toMatch(/^durableClient/);
    expect(byName.tick).toMatchObject({
      kind: 'timer',
      timer: { schedule: '0 */5 * * * *', runOnStartup: false },
    });
    expect(byName.flakyDouble).toMatchObject({ kind: 'activity', triggerType: 'activityTrigger' });
    expect(byName.fanOut).toMatchObject({ kind: 'orchestration', triggerType: 'orchestrationTrigger' });
    expect(byName.fanOut!.sourceFile).toBe(path.join(app, 'fanout.ts'));
  });

  test('a directory loads every function file in it, and a second host captures them again', async () => {
    const first = await startFunctionsHost({
      files: [app],
      settings: { TICK_SCHEDULE: '0 0 * * * *' },
      startTimers: false,
    });
    const names = first.registrations.map((r) => r.name).sort();
    await first.stop();
    host = await startFunctionsHost({
      files: [path.join(app, '*.ts')],
      settings: { TICK_SCHEDULE: '0 0 * * * *' },
      startTimers: false,
    });
    expect(host.registrations.map((r) => r.name).sort()).toEqual(names);
    expect(names).toEqual(
      expect.arrayContaining(['approval', 'eternal', 'fanOut', 'keyed', 'sleepy', 'tick', 'wobbly']),
    );
  });

  test('a %SETTING% that is not defined is a startup error naming the setting', async () => {
    await expect(
      startFunctionsHost({ files: [path.join(app, 'timerTrigger.ts')], settings: {}, startTimers: false }),
    ).rejects.toThrow(MissingSettingError);
    await expect(
      startFunctionsHost({ files: [path.join(app, 'timerTrigger.ts')], settings: {}, startTimers: false }),
    ).rejects.toThrow(/TICK_SCHEDULE/);
  });
});

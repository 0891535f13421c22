// Test doubles for code built on the client: a fake clock (time moves only when the test says)
// and a fake transport (records every request, answers from a function, hands out watches the
// test drives). Import from tests only.

export { FakeClock, flushMicrotasks } from './fake-clock.ts';
export { FakeTransport, FakeWatch, statusObject, statusReply } from './fake-transport.ts';
export type { FakeReply, FakeResponder, RecordedRequest } from './fake-transport.ts';

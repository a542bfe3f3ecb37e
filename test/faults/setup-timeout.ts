// Fault tests start brokers, stop them, kill processes and wait for recovery: give them room.
jest.setTimeout(300_000);

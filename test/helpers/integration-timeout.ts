// Integration tests wait on a real broker (group joins, transactions): give them room.
jest.setTimeout(120_000);

import '@testing-library/jest-dom';

// The component tests type into forms key by key (userEvent), which takes a few seconds when
// the whole suite shares a 2-core CI machine; one of them exceeded Jest's default 5 s there.
// Each test still waits for its outcomes with findBy* bounds; this only stops a busy machine
// from failing a test that is making progress.
jest.setTimeout(30_000);

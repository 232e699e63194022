import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../__testUtils__/fixtures';
import { DEVELOPMENT_SIDECAR_TOKEN } from '../config';
import { tokenSource } from './tokenSource';

describe('tokenSource', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'brom-token-'));
    file = join(dir, 'token');
    writeFileSync(file, 'first-token\n');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives a token from the environment as it is', () => {
    const { logger } = memoryLogger();
    expect(tokenSource({ token: 'fixed', logger })()).toBe('fixed');
  });

  it('takes a rotated token file at the next poll, without a restart', () => {
    const { logger, lines } = memoryLogger();
    const token = tokenSource({
      token: 'first-token',
      tokenFile: file,
      logger,
    });
    expect(token()).toBe('first-token');
    writeFileSync(file, 'second-token-which-is-longer\n');
    expect(token()).toBe('second-token-which-is-longer');
    expect(lines.join('\n')).toContain(
      'Took a new token from BROM_SIDECAR_TOKEN_FILE',
    );
    expect(lines.join('\n')).not.toContain('second-token');
  });

  it('keeps the token in use when the file turns empty, unreadable or to the development token', () => {
    const { logger, lines } = memoryLogger();
    const token = tokenSource({
      token: 'first-token',
      tokenFile: file,
      logger,
    });
    writeFileSync(file, '');
    expect(token()).toBe('first-token');
    writeFileSync(file, `${DEVELOPMENT_SIDECAR_TOKEN}\n`);
    expect(token()).toBe('first-token');
    rmSync(file);
    expect(token()).toBe('first-token');
    expect(token()).toBe('first-token');
    const warnings = lines.filter(line => line.includes('"warn"'));
    // One warning per change of the file, not one per poll.
    expect(warnings).toHaveLength(3);
    writeFileSync(file, 'third-token');
    expect(token()).toBe('third-token');
  });
});

import { flagOf, parseAssignments, parseOptions } from './options';

interface Options {
  scale: number;
  json?: string;
  authz: 'live' | 'native';
  noFloor?: boolean;
}

const parse = (argv: string[]) =>
  parseOptions<Options>(
    argv,
    { scale: 1, authz: 'live' },
    {
      scale: 'number',
      json: 'string',
      authz: ['live', 'native'],
      noFloor: 'switch',
    },
  );

describe('parseOptions', () => {
  it('keeps the defaults when nothing is given', () => {
    expect(parse([])).toEqual({ scale: 1, authz: 'live' });
  });

  it('reads numbers, strings, choices and switches by their kebab-case flags', () => {
    expect(
      parse([
        '--scale',
        '0.05',
        '--json',
        '/tmp/out.json',
        '--authz',
        'native',
        '--no-floor',
      ]),
    ).toEqual({
      scale: 0.05,
      json: '/tmp/out.json',
      authz: 'native',
      noFloor: true,
    });
  });

  it('refuses an unknown option and names the known ones', () => {
    expect(() => parse(['--scael', '2'])).toThrow(
      'unknown option --scael; the options are --scale, --json, --authz, --no-floor',
    );
  });

  it('refuses a value that is not a number, and a missing value', () => {
    expect(() => parse(['--scale', 'ten'])).toThrow(
      '--scale needs a number, not "ten"',
    );
    expect(() => parse(['--scale', ''])).toThrow('--scale needs a number');
    expect(() => parse(['--scale'])).toThrow('--scale needs a value');
  });

  it('refuses a choice outside its values', () => {
    expect(() => parse(['--authz', 'sidecar'])).toThrow(
      '--authz is one of live|native, not "sidecar"',
    );
  });
});

describe('flagOf', () => {
  it('turns a camel-case key into its flag', () => {
    expect(flagOf('idleSeconds')).toBe('--idle-seconds');
    expect(flagOf('scale')).toBe('--scale');
  });
});

describe('parseAssignments', () => {
  it('reads key=value pairs separated by semicolons, trimmed, the last of a key winning', () => {
    expect(
      parseAssignments(
        '--broker-config',
        ' management.rates_mode = none ;collect_statistics_interval=30000;;management.rates_mode=basic',
      ),
    ).toEqual({
      'management.rates_mode': 'basic',
      collect_statistics_interval: '30000',
    });
  });

  it('keeps an equals sign inside the value and takes an empty value', () => {
    expect(parseAssignments('--x', 'a=b=c;d=')).toEqual({ a: 'b=c', d: '' });
  });

  it('refuses a pair without a key or an equals sign, naming the flag', () => {
    expect(() => parseAssignments('--broker-config', 'a=1;oops')).toThrow(
      `--broker-config takes key=value pairs separated by ';', not "oops"`,
    );
    expect(() => parseAssignments('--broker-config', '=1')).toThrow('"=1"');
  });
});

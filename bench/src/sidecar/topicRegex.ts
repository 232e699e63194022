/*
 * `npm run bench:topic-regex`: what RabbitMQ's internal backend pays per topic-permission check
 * in the native mode. For a routing key its channel has not cached, the broker runs the topic
 * permission's `write` regex with `re:run(Key, Regex, [{capture, none}])`, and `re:run` compiles
 * an uncompiled pattern on every call. This runs that call in Erlang (`erl`, which RabbitMQ's
 * Debian package brings) for the benchmark producer's patterns written as BROM writes them
 * (leading words shared), as one alternative per pattern (how BROM wrote them before), for the
 * one pattern the producer publishes to, and compiled once (what a cache would cost).
 * Interleaved rounds; median (min–max) of the per-round µs per check.
 */
import { execFileSync } from 'node:child_process';
import { routingKeyPatternsToBrokerRegex } from '@internal/brom-authz-snapshot';
import { spread } from '../stats';
import { REALISTIC_SHAPE, buildPolicy } from './workload';

const ROUNDS = 5;
const CALLS = 100_000;

/** An Erlang binary literal holding `text` (ASCII only: the patterns' literals are). */
function erlangBinary(text: string): string {
  return `<<"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}">>`;
}

function main(): void {
  const policy = buildPolicy(REALISTIC_SHAPE);
  const shape = /^[^.*#]+\.\*\.[^.*#]+$/;
  const producer = policy.producers.find(p =>
    p.patterns.some(x => shape.test(x)),
  );
  if (!producer) throw new Error('no producer with an `a.*.b` pattern');
  const pattern = producer.patterns.find(x => shape.test(x))!;
  const [head, , tail] = pattern.split('.');
  const body = (regex: string) =>
    regex.slice('(?s)^(?:'.length, -')\\z'.length);
  const variants: Array<[string, string, boolean]> = [
    [
      'shared leading words (BROM)',
      routingKeyPatternsToBrokerRegex(producer.patterns),
      false,
    ],
    [
      'one alternative per pattern',
      `(?s)^(?:${producer.patterns
        // The earlier form put a lookahead for a first word before every alternative.
        .map(
          p =>
            `(?=.)${body(routingKeyPatternsToBrokerRegex([p])).replace(
              /^\(\?=\.\)/,
              '',
            )}`,
        )
        .join('|')})\\z`,
      false,
    ],
    ['the one pattern', routingKeyPatternsToBrokerRegex([pattern]), false],
    [
      'shared, compiled once',
      routingKeyPatternsToBrokerRegex(producer.patterns),
      true,
    ],
  ];
  const key = `${head}.01hxyz8k2q.${tail}`;
  const program = `
    Key = ${erlangBinary(key)},
    Variants = [${variants
      .map(([, regex, compiled]) => `{${erlangBinary(regex)}, ${compiled}}`)
      .join(', ')}],
    Time = fun({Regex, Compiled}) ->
      Re = case Compiled of true -> {ok, C} = re:compile(Regex), C; false -> Regex end,
      match = re:run(Key, Re, [{capture, none}]),
      {T, _} = timer:tc(fun() -> lists:foreach(fun(_) -> re:run(Key, Re, [{capture, none}]) end, lists:seq(1, ${CALLS})) end),
      T / ${CALLS}
    end,
    Rounds = [[Time(lists:nth(1 + (I + R) rem length(Variants), Variants)) || I <- lists:seq(0, length(Variants) - 1)] || R <- lists:seq(0, ${
      ROUNDS - 1
    })],
    io:format("~p~n", [Rounds]),
    halt().`;
  const out = execFileSync('erl', ['-noshell', '-eval', program], {
    encoding: 'utf8',
  });
  const rounds = JSON.parse(out.trim().replace(/\s+/g, '')) as number[][];
  console.log(
    `Topic-permission check as RabbitMQ runs it (re:run per uncached key), ${
      producer.patterns.length
    } patterns of ${
      producer.exchange
    }, key ${key}; ${ROUNDS} interleaved rounds × ${CALLS.toLocaleString(
      'en-US',
    )} calls`,
  );
  variants.forEach(([label, regex], v) => {
    // Round r ran variant (i + r) mod n at position i, so variant v sat at i = (v - r) mod n.
    const n = variants.length;
    const perRound = rounds.map((r, round) => r[(((v - round) % n) + n) % n]);
    const s = spread(perRound);
    console.log(
      `${label.padEnd(30)} ${s.median.toFixed(2)} µs (${s.min.toFixed(
        2,
      )}–${s.max.toFixed(2)}), regex ${regex.length} characters`,
    );
  });
}

main();

/** Runs `query` over `values` 500 at a time (below both dialects' parameter limits). */
export async function inChunks<T>(
  values: string[],
  query: (chunk: string[]) => Promise<T[]>,
): Promise<T[]> {
  const rows: T[] = [];
  for (let i = 0; i < values.length; i += 500) {
    rows.push(...(await query(values.slice(i, i + 500))));
  }
  return rows;
}

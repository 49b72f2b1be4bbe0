// A small SSE client for tests: reads events until `until` holds (or 10 s).

export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

export const readSse = async (
  url: string,
  headers: Record<string, string>,
  until: (evs: SseEvent[]) => boolean,
): Promise<{ status: number; contentType: string | null; events: SseEvent[] }> => {
  const ac = new AbortController();
  const res = await fetch(url, { headers, signal: ac.signal });
  const events: SseEvent[] = [];
  if (res.status !== 200) {
    ac.abort();
    return { status: res.status, contentType: res.headers.get("content-type"), events };
  }
  const decoder = new TextDecoder();
  let buf = "";
  const reader = res.body!.getReader();
  const deadline = Date.now() + 10_000;
  while (!until(events) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let i = buf.indexOf("\n\n");
    while (i >= 0) {
      const ev: SseEvent = {};
      for (const line of buf.slice(0, i).split("\n")) {
        if (line.startsWith(":")) ev.comment = line.slice(1).trim();
        else {
          const [k, ...rest] = line.split(":");
          (ev as Record<string, string>)[k!] = rest.join(":").trimStart();
        }
      }
      events.push(ev);
      buf = buf.slice(i + 2);
      i = buf.indexOf("\n\n");
    }
  }
  ac.abort();
  return { status: res.status, contentType: res.headers.get("content-type"), events };
};

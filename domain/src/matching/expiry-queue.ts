// Min-heap of resting DAY/GTD orders keyed by (expireTime, priority): TimeAdvanced
// pops everything due, in that deterministic order. Entries are never removed
// on cancel/fill/replace; the engine skips an entry whose slot no longer holds
// the same priority (priorities are unique forever, so a recycled slot cannot
// match a stale entry). compactIfStale() bounds the garbage.

export class ExpiryQueue {
  private exp: bigint[] = [];
  private prio: number[] = [];
  private slot: number[] = [];

  get size(): number {
    return this.exp.length;
  }

  push(expireTime: bigint, prio: number, slot: number): void {
    const exp = this.exp;
    const pr = this.prio;
    const sl = this.slot;
    let i = exp.length;
    exp.push(expireTime);
    pr.push(prio);
    sl.push(slot);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(expireTime, prio, exp[p]!, pr[p]!)) break;
      exp[i] = exp[p]!;
      pr[i] = pr[p]!;
      sl[i] = sl[p]!;
      i = p;
    }
    exp[i] = expireTime;
    pr[i] = prio;
    sl[i] = slot;
  }

  /** True when the earliest entry expires at or before `t`. */
  hasDue(t: bigint): boolean {
    return this.exp.length > 0 && this.exp[0]! <= t;
  }

  topPrio(): number {
    return this.prio[0]!;
  }
  topSlot(): number {
    return this.slot[0]!;
  }

  pop(): void {
    const exp = this.exp;
    const pr = this.prio;
    const sl = this.slot;
    const lastE = exp.pop()!;
    const lastP = pr.pop()!;
    const lastS = sl.pop()!;
    const n = exp.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(exp[r]!, pr[r]!, exp[l]!, pr[l]!) ? r : l;
      if (!less(exp[c]!, pr[c]!, lastE, lastP)) break;
      exp[i] = exp[c]!;
      pr[i] = pr[c]!;
      sl[i] = sl[c]!;
      i = c;
    }
    exp[i] = lastE;
    pr[i] = lastP;
    sl[i] = lastS;
  }

  /** Rebuilds from live entries only when stale ones outnumber them. */
  compactIfStale(isLive: (prio: number, slot: number) => boolean): void {
    const n = this.exp.length;
    if (n < 1024) return;
    let live = 0;
    for (let i = 0; i < n; i++) if (isLive(this.prio[i]!, this.slot[i]!)) live++;
    if (live * 2 > n) return;
    const exp = this.exp;
    const pr = this.prio;
    const sl = this.slot;
    this.exp = [];
    this.prio = [];
    this.slot = [];
    for (let i = 0; i < n; i++) {
      if (isLive(pr[i]!, sl[i]!)) this.push(exp[i]!, pr[i]!, sl[i]!);
    }
  }
}

function less(e1: bigint, p1: number, e2: bigint, p2: number): boolean {
  return e1 < e2 || (e1 === e2 && p1 < p2);
}

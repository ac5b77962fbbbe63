// The daily request quota ("Rate Limits": requests per day by tier). The page does not say which requests
// count or when the day turns; the simulator counts accepted generations only (polling stays free, so a local
// stack can poll all day) and starts a new day at 00:00 UTC. The quota is the Pro tier's.

export const PRO_TIER_REQUESTS_PER_DAY = 1_000;

export class DailyQuota {
  private day = '';
  private used = 0;

  constructor(
    private readonly perDay: number = PRO_TIER_REQUESTS_PER_DAY,
    private readonly now: () => Date = () => new Date(),
  ) {}

  remaining(): number {
    this.rollOver();
    return Math.max(0, this.perDay - this.used);
  }

  /** Counts one request; false (and nothing counted) when the day's quota is used up. */
  take(): boolean {
    this.rollOver();
    if (this.used >= this.perDay) return false;
    this.used += 1;
    return true;
  }

  private rollOver(): void {
    const today = this.now().toISOString().slice(0, 10);
    if (today !== this.day) {
      this.day = today;
      this.used = 0;
    }
  }
}

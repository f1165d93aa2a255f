"""`donations-verify`: the donations reconciled against the fen and points ledgers and the counters.

- every paid donation moved exactly its amount once from clearing into its campaign's fund
  (`donation.fund`, reference `donation:<id>`), was paid by one paid attempt of purpose
  `campaign.donation` for that amount, and an unpaid donation moved nothing;
- per campaign: the fund's balance = Σ paid donations = `Campaign.fen_raised`, and the tally's trees and
  count equal the paid donations';
- per campaign: the tally's points = Σ points donations = Σ `donation.points` transfers into its budget.
Each breach is one line naming the donation or campaign.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise import Tortoise

LIMIT = 50

_DONATIONS = f"""
SELECT d.public_id, d.status, d.amount_fen, COALESCE(t.n, 0) AS n, COALESCE(t.s, 0) AS s,
       COALESCE(a.n, 0) AS paid_n, COALESCE(a.s, 0) AS paid_s
FROM donation d
LEFT JOIN (SELECT reference, COUNT(*) AS n, SUM(amount) AS s FROM ledger_transfer
           WHERE ledger = 'fen' AND reason = 'donation.fund' GROUP BY reference) t
       ON t.reference = 'donation:' || d.public_id
LEFT JOIN (SELECT subject, COUNT(*) AS n, SUM(amount_fen) AS s FROM payments_attempt
           WHERE purpose = 'campaign.donation' AND status = 'paid' GROUP BY subject) a ON a.subject = d.public_id
WHERE (d.status = 'paid' AND (COALESCE(t.n, 0) <> 1 OR t.s <> d.amount_fen OR COALESCE(a.n, 0) <> 1
                              OR a.s <> d.amount_fen))
   OR (d.status <> 'paid' AND (COALESCE(t.n, 0) > 0 OR COALESCE(a.n, 0) > 0))
ORDER BY d.id LIMIT {LIMIT}"""

_CAMPAIGNS = f"""
SELECT c.slug, c.fen_raised, COALESCE(f.balance, 0) AS fund, COALESCE(p.s, 0) AS paid, COALESCE(p.trees, 0) AS trees,
       COALESCE(p.n, 0) AS n, COALESCE(y.trees_donated, 0) AS tally_trees, COALESCE(y.donations_paid, 0) AS tally_n,
       COALESCE(y.points_donated, 0) AS tally_points, COALESCE(g.s, 0) AS given, COALESCE(b.s, 0) AS moved
FROM campaign c
LEFT JOIN ledger_account f ON f.ledger = 'fen' AND f.code = 'campaign_fund' AND f.owner = 'campaign:' || c.id
LEFT JOIN (SELECT campaign_id, SUM(amount_fen) AS s, SUM(trees) AS trees, COUNT(*) AS n FROM donation
           WHERE status = 'paid' GROUP BY campaign_id) p ON p.campaign_id = c.id
LEFT JOIN donation_tally y ON y.campaign_id = c.id
LEFT JOIN (SELECT campaign_id, SUM(points) AS s FROM donation_points GROUP BY campaign_id) g ON g.campaign_id = c.id
LEFT JOIN (SELECT a.owner, SUM(t.amount) AS s FROM ledger_transfer t JOIN ledger_account a ON a.id = t.credit_id
           WHERE t.ledger = 'points' AND t.reason = 'donation.points' AND a.code = 'campaign_budget'
           GROUP BY a.owner) b ON b.owner = 'campaign:' || c.id
WHERE COALESCE(f.balance, 0) <> COALESCE(p.s, 0) OR c.fen_raised <> COALESCE(p.s, 0)
   OR COALESCE(y.trees_donated, 0) <> COALESCE(p.trees, 0) OR COALESCE(y.donations_paid, 0) <> COALESCE(p.n, 0)
   OR COALESCE(y.points_donated, 0) <> COALESCE(g.s, 0) OR COALESCE(g.s, 0) <> COALESCE(b.s, 0)
ORDER BY c.id LIMIT {LIMIT}"""

_COUNTS = "SELECT (SELECT COUNT(*) FROM donation) AS donations, (SELECT COUNT(*) FROM campaign) AS campaigns"


@dataclass
class DonationsReport:
    donations: int = 0
    campaigns: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify() -> DonationsReport:
    conn = Tortoise.get_connection("default")
    counts = (await conn.execute_query_dict(_COUNTS))[0]
    report = DonationsReport(int(counts["donations"]), int(counts["campaigns"]))
    for r in await conn.execute_query_dict(_DONATIONS):
        report.problems.append(
            f"donation {r['public_id']} ({r['status']}, {r['amount_fen']} fen): the fund received {int(r['s'])} fen "
            f"in {int(r['n'])} transfer(s), paid by {int(r['paid_n'])} attempt(s) of {int(r['paid_s'])} fen"
        )
    for r in await conn.execute_query_dict(_CAMPAIGNS):
        report.problems.append(
            f"campaign {r['slug']}: paid donations {int(r['paid'])} fen / {int(r['trees'])} trees / {int(r['n'])}, "
            f"fund balance {int(r['fund'])}, fen_raised {int(r['fen_raised'])}, tally {int(r['tally_trees'])} trees / "
            f"{int(r['tally_n'])}; points given {int(r['given'])}, tally {int(r['tally_points'])}, "
            f"moved to the budget {int(r['moved'])}"
        )
    return report

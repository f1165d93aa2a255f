"""`money-verify`: the fen ledger reconciled against what it is for — payments, sales, refunds, payouts.

`ledger-verify` proves the ledger is consistent with itself (zero sums, balances = transfers). This
proves it says what the business tables say, in fen, with the market's rounding:
- every payment attempt the provider paid (paid, refund_due, refunded, refund_failed, refunded_by_hand)
  came in once, for its amount: one `payment.received` transfer of `amount_fen`, and none for an attempt
  never paid (pending, closed, or refunded_elsewhere: paid and refunded outside us, never recorded paid);
- every refunded attempt (by the provider, or by hand after the provider refused) went back once, for
  exactly what came in; nothing else was refunded;
- clearing holds exactly what was received and is still to be given back (attempts `refund_due`, and
  `refund_failed` until an operator pays it back by hand);
- every fulfilled order was paid by one attempt of its cash part; each of its lines (one per listing)
  has `fee = floor(line total × bps / 10000)` and seller = line total − fee; the lines add up to the
  order's total, fee and seller share; and the ledger moved exactly those seller shares and fees (one
  transfer each) and the points part (nothing for an order not fulfilled);
- for every seller: shares credited to seller_income = Σ seller_fen of their fulfilled order lines, and
  payable + in flight + paid out = that; in flight = their open payouts; each payout moved out once,
  and once more to the provider (paid) or back (failed).
Each breach is one line naming the attempt, order, payout or seller.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise import Tortoise

LIMIT = 50
PAID = "('paid','refund_due','refunded','refund_failed','refunded_by_hand')"
REFUNDED = "('refunded','refunded_by_hand')"

_PAYMENTS = f"""
SELECT a.out_trade_no, a.status, a.amount_fen, COALESCE(t.n, 0) AS n, COALESCE(t.s, 0) AS s
FROM payments_attempt a LEFT JOIN (
  SELECT reference, COUNT(*) AS n, SUM(amount) AS s FROM ledger_transfer
  WHERE ledger = 'fen' AND reason = 'payment.received' GROUP BY reference) t ON t.reference = a.out_trade_no
WHERE (a.status IN {PAID} AND (COALESCE(t.n, 0) <> 1 OR t.s <> a.amount_fen))
   OR (a.status NOT IN {PAID} AND COALESCE(t.n, 0) > 0)
ORDER BY a.id LIMIT {LIMIT}"""

_REFUNDS = f"""
SELECT a.out_trade_no, a.status, a.amount_fen, COALESCE(t.n, 0) AS n, COALESCE(t.s, 0) AS s
FROM payments_attempt a LEFT JOIN (
  SELECT reference, COUNT(*) AS n, SUM(amount) AS s FROM ledger_transfer
  WHERE ledger = 'fen' AND reason = 'payment.refunded' GROUP BY reference) t ON t.reference = a.out_trade_no
WHERE (a.status IN {REFUNDED} AND (COALESCE(t.n, 0) <> 1 OR t.s <> a.amount_fen))
   OR (a.status NOT IN {REFUNDED} AND COALESCE(t.n, 0) > 0)
ORDER BY a.id LIMIT {LIMIT}"""

_STRAY = f"""
SELECT t.reason, t.reference, t.amount FROM ledger_transfer t
WHERE t.ledger = 'fen' AND t.reason IN ('payment.received', 'payment.refunded')
  AND NOT EXISTS (SELECT 1 FROM payments_attempt a WHERE a.out_trade_no = t.reference)
ORDER BY t.created_at LIMIT {LIMIT}"""

_CLEARING = """
SELECT (SELECT COALESCE(SUM(balance), 0) FROM ledger_account WHERE ledger = 'fen' AND code = 'clearing') AS clearing,
       (SELECT COALESCE(SUM(amount_fen), 0) FROM payments_attempt WHERE status IN ('refund_due', 'refund_failed'))
         AS due"""

_ORDERS = f"""
SELECT o.public_id, o.status, o.total_fen, o.cash_fen, o.points_fen, o.fee_bps, o.fee_fen, o.seller_fen,
       COALESCE(m.seller, 0) AS t_seller, COALESCE(m.fee, 0) AS t_fee, COALESCE(m.points, 0) AS t_points,
       COALESCE(m.n, 0) AS t_n, COALESCE(p.n, 0) AS paid_n, COALESCE(p.s, 0) AS paid_s,
       COALESCE(l.n, 0) AS l_n, COALESCE(l.total, 0) AS l_total, COALESCE(l.fee, 0) AS l_fee,
       COALESCE(l.seller, 0) AS l_seller, COALESCE(l.bad, 0) AS l_bad
FROM market_order o
LEFT JOIN (
  SELECT ol.order_id, COUNT(*) AS n, SUM(ol.total_fen) AS total, SUM(ol.fee_fen) AS fee, SUM(ol.seller_fen) AS seller,
         SUM(CASE WHEN ol.fee_fen > 0 THEN 1 ELSE 0 END) + SUM(CASE WHEN ol.seller_fen > 0 THEN 1 ELSE 0 END)
           AS transfers,
         SUM(CASE WHEN ol.fee_fen <> (ol.total_fen * oo.fee_bps) / 10000 OR ol.seller_fen <> ol.total_fen - ol.fee_fen
                  THEN 1 ELSE 0 END) AS bad
  FROM market_order_line ol JOIN market_order oo ON oo.id = ol.order_id GROUP BY ol.order_id) l ON l.order_id = o.id
LEFT JOIN (
  SELECT reference, COUNT(*) AS n,
         SUM(CASE WHEN reason = 'market.seller_share' THEN amount ELSE 0 END) AS seller,
         SUM(CASE WHEN reason = 'market.platform_fee' THEN amount ELSE 0 END) AS fee,
         SUM(CASE WHEN reason = 'market.points' THEN amount ELSE 0 END) AS points
  FROM ledger_transfer WHERE ledger = 'fen' AND reason IN ('market.seller_share', 'market.platform_fee', 'market.points')
  GROUP BY reference) m ON m.reference = 'order:' || o.public_id
LEFT JOIN (
  SELECT subject, COUNT(*) AS n, SUM(amount_fen) AS s FROM payments_attempt
  WHERE purpose = 'market.order' AND status = 'paid' GROUP BY subject) p ON p.subject = o.public_id
WHERE (o.status = 'fulfilled' AND (
        COALESCE(l.n, 0) = 0 OR l.bad > 0 OR l.total <> o.total_fen OR l.fee <> o.fee_fen OR l.seller <> o.seller_fen
        OR o.seller_fen <> o.total_fen - o.fee_fen
        OR COALESCE(m.seller, 0) <> o.seller_fen OR COALESCE(m.fee, 0) <> o.fee_fen
        OR COALESCE(m.points, 0) <> o.points_fen
        OR COALESCE(m.n, 0) <> COALESCE(l.transfers, 0) + (CASE WHEN o.points_fen > 0 THEN 1 ELSE 0 END)
        OR COALESCE(p.n, 0) <> 1 OR p.s <> o.cash_fen))
   OR (o.status <> 'fulfilled' AND (COALESCE(m.n, 0) > 0 OR COALESCE(p.n, 0) > 0))
ORDER BY o.id LIMIT {LIMIT}"""

_SELLERS = f"""
WITH holders AS (
  SELECT l.seller_holder AS holder FROM market_order_line l JOIN market_order o ON o.id = l.order_id
  WHERE o.status = 'fulfilled'
  UNION SELECT owner FROM ledger_account WHERE ledger = 'fen' AND code IN ('seller_income', 'payout_in_flight')
  UNION SELECT holder FROM money_payout),
earned AS (SELECT l.seller_holder AS holder, SUM(l.seller_fen) AS s FROM market_order_line l
           JOIN market_order o ON o.id = l.order_id WHERE o.status = 'fulfilled' GROUP BY l.seller_holder),
credited AS (SELECT a.owner AS holder, SUM(t.amount) AS s FROM ledger_transfer t
             JOIN ledger_account a ON a.id = t.credit_id
             WHERE t.reason = 'market.seller_share' AND a.ledger = 'fen' AND a.code = 'seller_income'
             GROUP BY a.owner),
payable AS (SELECT owner AS holder, balance AS s FROM ledger_account WHERE ledger = 'fen' AND code = 'seller_income'),
flight AS (SELECT owner AS holder, balance AS s FROM ledger_account WHERE ledger = 'fen' AND code = 'payout_in_flight'),
open_p AS (SELECT holder, SUM(amount_fen) AS s FROM money_payout WHERE status IN ('requested', 'processing')
           GROUP BY holder),
paid_p AS (SELECT holder, SUM(amount_fen) AS s FROM money_payout WHERE status = 'paid' GROUP BY holder)
SELECT h.holder, COALESCE(e.s, 0) AS earned, COALESCE(c.s, 0) AS credited, COALESCE(pa.s, 0) AS payable,
       COALESCE(f.s, 0) AS in_flight, COALESCE(o.s, 0) AS open_payouts, COALESCE(pp.s, 0) AS paid_out
FROM holders h
LEFT JOIN earned e ON e.holder = h.holder LEFT JOIN credited c ON c.holder = h.holder
LEFT JOIN payable pa ON pa.holder = h.holder LEFT JOIN flight f ON f.holder = h.holder
LEFT JOIN open_p o ON o.holder = h.holder LEFT JOIN paid_p pp ON pp.holder = h.holder
WHERE COALESCE(c.s, 0) <> COALESCE(e.s, 0)
   OR COALESCE(pa.s, 0) + COALESCE(f.s, 0) + COALESCE(pp.s, 0) <> COALESCE(e.s, 0)
   OR COALESCE(f.s, 0) <> COALESCE(o.s, 0)
ORDER BY h.holder LIMIT {LIMIT}"""

_PAYOUTS = f"""
SELECT p.public_id, p.status, p.amount_fen,
       COALESCE(t.req_n, 0) AS req_n, COALESCE(t.req_s, 0) AS req_s,
       COALESCE(t.paid_n, 0) AS paid_n, COALESCE(t.paid_s, 0) AS paid_s,
       COALESCE(t.ret_n, 0) AS ret_n, COALESCE(t.ret_s, 0) AS ret_s
FROM money_payout p LEFT JOIN (
  SELECT reference,
         SUM(CASE WHEN reason = 'payout.requested' THEN 1 ELSE 0 END) AS req_n,
         SUM(CASE WHEN reason = 'payout.requested' THEN amount ELSE 0 END) AS req_s,
         SUM(CASE WHEN reason = 'payout.paid' THEN 1 ELSE 0 END) AS paid_n,
         SUM(CASE WHEN reason = 'payout.paid' THEN amount ELSE 0 END) AS paid_s,
         SUM(CASE WHEN reason = 'payout.returned' THEN 1 ELSE 0 END) AS ret_n,
         SUM(CASE WHEN reason = 'payout.returned' THEN amount ELSE 0 END) AS ret_s
  FROM ledger_transfer WHERE ledger = 'fen' AND reason IN ('payout.requested', 'payout.paid', 'payout.returned')
  GROUP BY reference) t ON t.reference = p.public_id
WHERE COALESCE(t.req_n, 0) <> 1 OR t.req_s <> p.amount_fen
   OR (p.status = 'paid' AND (COALESCE(t.paid_n, 0) <> 1 OR t.paid_s <> p.amount_fen OR COALESCE(t.ret_n, 0) > 0))
   OR (p.status = 'failed' AND (COALESCE(t.ret_n, 0) <> 1 OR t.ret_s <> p.amount_fen OR COALESCE(t.paid_n, 0) > 0))
   OR (p.status IN ('requested', 'processing') AND (COALESCE(t.paid_n, 0) > 0 OR COALESCE(t.ret_n, 0) > 0))
ORDER BY p.id LIMIT {LIMIT}"""

_PROVIDER_PAID = """
SELECT (SELECT COALESCE(SUM(balance), 0) FROM ledger_account WHERE ledger = 'fen' AND code = 'payout_provider') AS out,
       (SELECT COALESCE(SUM(amount_fen), 0) FROM money_payout WHERE status = 'paid') AS paid"""

_COUNTS = """
SELECT (SELECT COUNT(*) FROM payments_attempt) AS attempts, (SELECT COUNT(*) FROM market_order) AS orders,
       (SELECT COUNT(*) FROM money_payout) AS payouts"""


@dataclass
class MoneyReport:
    attempts: int = 0
    orders: int = 0
    payouts: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify() -> MoneyReport:
    conn = Tortoise.get_connection("default")

    async def rows(sql: str) -> list[dict]:  # type: ignore[type-arg]
        return await conn.execute_query_dict(sql)

    counts = (await rows(_COUNTS))[0]
    report = MoneyReport(int(counts["attempts"]), int(counts["orders"]), int(counts["payouts"]))
    say = report.problems.append
    for r in await rows(_PAYMENTS):
        say(
            f"payment {r['out_trade_no']} ({r['status']}, {r['amount_fen']} fen): clearing received "
            f"{int(r['s'])} fen in {int(r['n'])} transfer(s), expected "
            + ("exactly its amount once" if f"'{r['status']}'" in PAID else "nothing")
        )
    for r in await rows(_REFUNDS):
        say(
            f"refund of payment {r['out_trade_no']} ({r['status']}, {r['amount_fen']} fen): {int(r['s'])} fen went "
            f"back in {int(r['n'])} transfer(s), expected "
            + ("exactly what came in, once" if f"'{r['status']}'" in REFUNDED else "nothing")
        )
    for r in await rows(_STRAY):
        say(f"{r['reason']} transfer of {r['amount']} fen names {r['reference']}, which is no payment attempt")
    clearing = (await rows(_CLEARING))[0]
    if int(clearing["clearing"]) != int(clearing["due"]):
        say(f"clearing holds {int(clearing['clearing'])} fen but payments awaiting refund total {int(clearing['due'])}")
    for r in await rows(_ORDERS):
        say(_order_problem(r))
    for r in await rows(_SELLERS):
        say(
            f"seller {r['holder']}: earned {int(r['earned'])} fen from fulfilled orders, the ledger credited "
            f"{int(r['credited'])}; payable {int(r['payable'])} + in flight {int(r['in_flight'])} + paid out "
            f"{int(r['paid_out'])} = {int(r['payable']) + int(r['in_flight']) + int(r['paid_out'])}; open payouts "
            f"{int(r['open_payouts'])}"
        )
    for r in await rows(_PAYOUTS):
        say(
            f"payout {r['public_id']} ({r['status']}, {r['amount_fen']} fen): taken {int(r['req_s'])} in "
            f"{int(r['req_n'])}, paid {int(r['paid_s'])} in {int(r['paid_n'])}, returned {int(r['ret_s'])} in "
            f"{int(r['ret_n'])} transfer(s)"
        )
    provider = (await rows(_PROVIDER_PAID))[0]
    if int(provider["out"]) != int(provider["paid"]):
        say(f"payout providers received {int(provider['out'])} fen but paid payouts total {int(provider['paid'])}")
    return report


def _order_problem(r: dict) -> str:  # type: ignore[type-arg]
    name = f"order {r['public_id']} ({r['status']}, total {r['total_fen']} fen)"
    if r["status"] != "fulfilled":
        return f"{name}: not fulfilled, yet {int(r['t_n'])} sale transfer(s) and {int(r['paid_n'])} paid attempt(s)"
    parts = []
    if int(r["l_n"]) == 0:
        parts.append("no order lines")
    elif int(r["l_bad"]):
        parts.append(f"{int(r['l_bad'])} line(s) whose fee or seller share breaks the rule at {r['fee_bps']} bps")
    lines = (int(r["l_total"]), int(r["l_fee"]), int(r["l_seller"]))
    if int(r["l_n"]) and lines != (r["total_fen"], r["fee_fen"], r["seller_fen"]):
        parts.append(
            f"lines add up to total {lines[0]}, fee {lines[1]}, seller {lines[2]}; the order says "
            f"{r['total_fen']}, {r['fee_fen']}, {r['seller_fen']}"
        )
    if r["seller_fen"] != r["total_fen"] - r["fee_fen"]:
        parts.append(f"split fee {r['fee_fen']} + seller {r['seller_fen']} is not the total {r['total_fen']}")
    if (int(r["t_seller"]), int(r["t_fee"]), int(r["t_points"])) != (r["seller_fen"], r["fee_fen"], r["points_fen"]):
        parts.append(
            f"ledger moved seller {int(r['t_seller'])}, fee {int(r['t_fee'])}, points {int(r['t_points'])}; the order "
            f"says {r['seller_fen']}, {r['fee_fen']}, {r['points_fen']}"
        )
    if int(r["paid_n"]) != 1 or int(r["paid_s"]) != r["cash_fen"]:
        parts.append(f"paid by {int(r['paid_n'])} attempt(s) totalling {int(r['paid_s'])}, cash part {r['cash_fen']}")
    return f"{name}: " + ("; ".join(parts) or f"{int(r['t_n'])} sale transfers where one per part was expected")

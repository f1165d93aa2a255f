"""Merchant coupons bought with points (积分兑换商户优惠)."""

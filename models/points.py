"""How many points each person has been awarded per action, per day and per year, for the caps."""

from tortoise import fields, models

from models.accounts import User


class AwardCounter(models.Model):
    """Points awarded to one person for one action in one period (a Beijing-time day or year).

    Every award raises it with one conditional update in the award's own transaction, so racing
    requests can never award past the cap.
    """

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name=False)
    action = fields.CharField(max_length=32, description="the earning rule's action, e.g. checkin.daily")
    period = fields.CharField(max_length=16, description="day:YYYY-MM-DD or year:YYYY, Beijing time")
    awarded = fields.BigIntField(default=0, description="points awarded in the period")

    class Meta:
        table = "points_award_counter"
        unique_together = (("user", "action", "period"),)

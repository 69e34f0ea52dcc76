"""The partition windows of a time-window partitions definition, as Dagster computes them.

A ``TimeWindowPartitionsDefinition`` (daily, hourly, weekly, monthly) has a cron schedule
(``Partitions.cron``): its windows run from one tick to the next, and the first one starts
at the first tick on or after the start date (``_iterate_time_windows``), so a weekly
definition starting on a Monday has its first window on the Sunday after (``day_offset``
0). Times are wall-clock times in the definition's timezone: two definitions are only
compared when they share it (Dagster's ``TimeWindowPartitionMapping`` refuses others).
Only the cron schedules Dagster makes of the subclasses' offsets are followed, and plain
ones like them: each field a number or ``*``, not both a day of the month and of the week.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from polster_lint.domain.model import Partitions

_SEARCH_DAYS = 800
"""How far to look for a tick: a monthly schedule on the 31st skips months, never years."""


@dataclass(frozen=True)
class Cron:
    """A cron schedule of plain fields: a number, or None for ``*``."""

    minute: int | None
    hour: int | None
    day: int | None
    month: int | None
    weekday: int | None
    """0 (or 7) is Sunday, as in cron."""

    @staticmethod
    def parse(text: str) -> "Cron | None":
        fields = text.split()
        if len(fields) != 5:
            return None
        values: list[int | None] = []
        limits = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
        for field, (low, high) in zip(fields, limits, strict=True):
            if field == "*":
                values.append(None)
            elif field.isdigit() and low <= int(field) <= high:
                values.append(int(field))
            else:
                return None
        minute, hour, day, month, weekday = values
        if day is not None and weekday is not None:
            return None  # cron's "either" rule: not followed
        return Cron(minute, hour, day, month, None if weekday is None else weekday % 7)

    def _on(self, when: date) -> bool:
        return (
            (self.day is None or when.day == self.day)
            and (self.month is None or when.month == self.month)
            and (self.weekday is None or (when.weekday() + 1) % 7 == self.weekday)
        )

    def _times(self) -> list[time]:
        hours = range(24) if self.hour is None else (self.hour,)
        minutes = range(60) if self.minute is None else (self.minute,)
        return [time(hour, minute) for hour in hours for minute in minutes]

    def next_tick(self, moment: datetime) -> datetime | None:
        """The first tick at or after ``moment``."""
        times = self._times()
        for offset in range(_SEARCH_DAYS):
            when = moment.date() + timedelta(days=offset)
            if self._on(when):
                for at in times:
                    tick = datetime.combine(when, at)
                    if tick >= moment:
                        return tick
        return None

    def previous_tick(self, moment: datetime) -> datetime | None:
        """The last tick at or before ``moment``."""
        times = self._times()[::-1]
        for offset in range(_SEARCH_DAYS):
            when = moment.date() - timedelta(days=offset)
            if self._on(when):
                for at in times:
                    tick = datetime.combine(when, at)
                    if tick <= moment:
                        return tick
        return None


def first_window(partitions: Partitions) -> tuple[datetime, datetime] | None:
    """The start and end of the first partition, or None when the source does not say
    (a computed start, an unfollowed schedule, a start the format does not parse)."""
    cron = Cron.parse(partitions.cron) if partitions.kind == "time" else None
    if cron is None or partitions.start is None or not partitions.fmt:
        return None
    try:
        start = datetime.strptime(partitions.start, partitions.fmt)
    except ValueError:
        return None  # Dagster refuses it, or reads it with an offset: not claimed
    if start.tzinfo is not None:
        return None
    first = cron.next_tick(start)
    end = cron.next_tick(first + timedelta(minutes=1)) if first is not None else None
    return (first, end) if first is not None and end is not None else None


def partition_key(partitions: Partitions, moment: datetime) -> str:
    """The key of the partition starting at ``moment``."""
    return moment.strftime(partitions.fmt)


def needs_missing_upstream(down: Partitions, up: Partitions) -> tuple[str, str, str] | None:
    """Whether Dagster's default ``TimeWindowPartitionMapping`` (no offsets) maps the
    downstream's first partition onto upstream time before the upstream's first partition.

    The mapping reads the upstream partitions that cover the downstream window: from the
    upstream partition holding the window's start (``get_partition_key_for_timestamp``).
    That one is missing when it starts before the upstream's first window, which happens
    exactly when the downstream's first window starts before the upstream's (whose start
    is a tick of the upstream schedule). Later downstream partitions start later, so the
    first one is the one to check. Returns the downstream's first key, the first upstream
    key it needs and the upstream's first key; None when all exist or it is not known.
    """
    if not down.timezone or down.timezone != up.timezone:
        return None
    down_window, up_window = first_window(down), first_window(up)
    up_cron = Cron.parse(up.cron)
    if down_window is None or up_window is None or up_cron is None:
        return None
    if down_window[0] >= up_window[0]:
        return None
    needed = up_cron.previous_tick(down_window[0])
    if needed is None:
        return None
    return (
        partition_key(down, down_window[0]),
        partition_key(up, needed),
        partition_key(up, up_window[0]),
    )

"""The weekly median course of stiffness and pain."""

from tracker.followup.trajectory import median_trajectory


def test_weeks_group_days_and_give_median_and_quartiles():
    points = [(14, s, s + 1) for s in (1, 2, 3, 4, 5)] + [(20, 9, 9)]

    trajectory = median_trajectory(points)

    [week] = trajectory.stiffness
    assert (week.week, week.count) == (2, 6)
    assert (week.q1, week.median, week.q3) == (2.25, 3.5, 4.75)
    assert trajectory.pain[0].median == 4.5


def test_thin_weeks_and_days_outside_the_range_are_left_out():
    points = [(7, 3, 3)] * 4 + [(-3, 5, 5)] * 6 + [(800, 2, 2)] * 6

    trajectory = median_trajectory(points, last_week=104)

    assert trajectory.stiffness == () and trajectory.pain == ()

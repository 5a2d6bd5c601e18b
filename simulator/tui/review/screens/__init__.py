"""The review's screens: the runs (`runs`), one run's record (`run`), a scenario's cohort (`cohort`)."""

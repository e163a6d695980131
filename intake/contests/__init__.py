"""Writing contests: entries tied to a contest and its dates and rules, a copy of each
entry without its author for judges, judges who score through a personal link, a ranking
fair to harsh and lenient judges, and results told to every entrant once."""

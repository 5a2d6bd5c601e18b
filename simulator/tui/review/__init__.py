"""The supervisor's review of the records (`groupsim review`): the runs table, one run's record, a cohort view.

`app.make_app` builds it, for the command and the tests alike. Importing this
package loads nothing; `app` loads Textual.
"""

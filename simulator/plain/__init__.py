"""`groupsim play --plain`: the trainee's session line by line, for screen readers and
plain terminals.

No full-screen drawing, no cursor movement, no colour: questions and answers, one line
after another, read in order (who speaks, then what they say). The same play layer,
records, resume and modes as the full-screen app; it works when standard input is a
pipe. See `simulator.plain.session`.
"""

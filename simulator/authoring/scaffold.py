"""`groupsim new`: a starter scenario that teaches the format through its comments.

The starter plays, validates with `--strict` and passes its own tests exactly as
written, so an author starts from something that works and changes it a piece at a
time, checking as they go.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from simulator.authoring.emit import scalar
from simulator.authoring.loader import SLUG
from simulator.schema import header_for


def check_id(scenario_id: str) -> str | None:
    """None if `scenario_id` is a usable id, else a message that says how to fix it."""
    if SLUG.match(scenario_id):
        return None
    plain = unicodedata.normalize("NFKD", scenario_id).encode("ascii", "ignore").decode()
    hint = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    example = f"'{hint}'" if hint and SLUG.match(hint) else "'late-arrival'"
    return (
        f"'{scenario_id}' is not a scenario id: use lowercase letters, digits and hyphens "
        f"(no spaces, no hyphen at either end), for example {example}"
    )


def title_for(scenario_id: str) -> str:
    """A first title from the id: `late-arrival` → `Late Arrival`."""
    return " ".join(w[:1].upper() + w[1:] for w in scenario_id.split("-"))


def starter(scenario_id: str, folder: Path | None = None) -> str:
    """The text of a starter scenario with this id (which `check_id` accepts), to be
    saved in `folder` (default: the current folder).

    Its first line is the editor header for that folder (see `simulator.schema`), so
    completion and checking work wherever the file is written; it is left out only when
    this groupsim's schema is not a file on disk.
    """
    header = header_for(Path.cwd() if folder is None else folder)
    template = _TEMPLATE.replace("__HEADER__\n", "" if header is None else header + "\n")
    return (
        template.replace("__FILE__", f"{scenario_id}.yaml")
        # Values padded so the comments line up; a space always comes before the '#'.
        .replace("__ID__", scalar(scenario_id).ljust(29) + " ")
        .replace("__TITLE__", scalar(title_for(scenario_id)).ljust(26) + " ")
    )


# Comments end near column 100; each explains the key on its line, in the author's terms.
_TEMPLATE = """\
__HEADER__
#
# A starter scenario from 'groupsim new'. It plays and validates as it stands: change it
# into your own a piece at a time, and check as you go. The whole format is described in
# docs/scenario-format.md; the comments below cover what you need to begin.
#
#   groupsim validate __FILE__ --strict   check it; each problem comes as file:line:column
#   groupsim run __FILE__ --choose 1,1    play one path (choice numbers) and see the meters
#   groupsim test __FILE__                run the checks under 'tests:' at the bottom
#   groupsim play __FILE__                play it as a trainee would
#
# The first line lets editors that support it (VS Code with its YAML extension, and others)
# suggest keys, explain them on hover and mark mistakes as you type. If that stops after
# groupsim is installed somewhere else, run: groupsim schema --header __FILE__
#
# Text can be written plainly after the colon. Put it in "double quotes" when it starts
# with a symbol or contains ': ' or ' #'; write '>' and indented lines below for a long
# paragraph (the lines are joined into one).

format: 1                         # the version of the format; always 1 for now
id: __ID__# lowercase letters, digits and hyphens; keep it the file's name
title: __TITLE__# what trainees see in the library
summary: >                        # two or three sentences: where we are and what just happened
  Week 2 of a closed support group for adults caring for a parent with dementia. Ada is
  telling the group something painful for the first time when Ben arrives twenty minutes
  late, wet from the rain and apologising loudly.
tags: [lateness, norms, first-disclosure]   # optional; words to find it by in the library
minutes: 5                        # optional; about how long one play takes
group:                            # the setting, shown before play starts
  kind: Closed support group for adult family carers, 6 members
  session: 2 of 8                 # optional
  stage: forming                  # forming | storming | norming | performing | adjourning
  setting: Community centre, Tuesday evening   # optional
content_notes:                    # optional; shown before play, so trainees can prepare
  - Caring for a parent with dementia
objectives:                       # at least one; what the trainee should practice
  - Protect a member's first disclosure while making room for a late arrival.
  - Respond to lateness without shaming the member who is late.
reflection:                       # optional; questions asked in the debrief
  - What pulled at you when Ben came in, and what did you do with it?
references:                       # optional; standards to cite, each under a short key
  iaswg: IASWG Standards for Social Work Practice with Groups (2nd ed., 2015), beginnings
  nasw-102: NASW Code of Ethics, standard 1.02 (self-determination)
meters:                           # at least one; whole numbers from min (0) to max (100)
  trust: {label: Trust, start: 50, help: Members' sense that the room is safe}
  cohesion: {label: Cohesion, start: 50, help: How much the members feel like one group}
members:                          # optional; each member has their own trust, 0 to 100
  ada: {name: Ada, about: Speaking about her mother for the first time, trust: 45}
  ben: {name: Ben, about: Cares for his father alone; often late, trust: 55}
flags: [ada_protected]            # optional; yes/no facts, all 'no' at the start
start: the-door-opens             # the state where play begins

states:                           # the moments of the session, each under its own id
  the-door-opens:
    title: The door opens         # optional heading
    narration: >                  # what the facilitator sees and hears
      Ada is telling the group, for the first time, that her mother no longer knows her
      name. Halfway through a sentence the door bangs open and Ben comes in.
    lines:                        # what members say, in order: '- member: words'
      - ben: "Sorry, sorry, Dad wouldn't let me leave. What did I miss?"
      - ada: "It's fine. It doesn't matter."
    prompt: What do you do?       # optional; the question above the choices
    # order: fixed                # choices are shown in an order drawn for each run, so where one
    #                             # stands tells trainees nothing; 'order: fixed' shows them as
    #                             # written, for when the order means something (steps, a scale)
    choices:                      # numbered 1, 2, 3 as written; tests and 'run' use the numbers
      - text: Welcome Ben with a nod towards a chair, then turn back to Ada and invite her to go on.
        rating: recommended       # recommended | acceptable | risky | harmful
        effects: {trust: +8, cohesion: +4, ada: +10}   # +n or -n, or "%+20": 20% of the way to max
        set: [ada_protected]      # flags this choice turns on ('unset:' turns them off)
        feedback: >               # why it helps or harms; shown after the choice
          Ada's first disclosure comes first. A brief, warm welcome includes Ben without
          letting the interruption take the floor from her.
        refs: [iaswg]             # keys from 'references'
        competencies: [6, 8]      # CSWE 2022 EPAS competencies (1-9) this practices
        phrasings:                # optional; how a trainee might say it in their own words, which
          - Come in Ben, take a seat. Ada, please go on.   # helps 'say it first' match what they
          - welcome him quickly and go back to Ada         # type; never shown to trainees
        goto: after-the-interruption   # the state this choice leads to
      - text: Stop and fill Ben in on what he missed, then ask Ada to carry on.
        rating: risky
        effects: {trust: -4, ada: -10, ben: +6}
        feedback: >
          Summing up Ada's words for a latecomer retells her story without her consent and
          turns the group's attention to Ben.
        refs: [nasw-102]
        competencies: [1, 6]
        goto: after-the-interruption
      - text: Tell Ben the group starts on time and that he should wait outside until the break.
        rating: harmful
        effects: {trust: -10, cohesion: -12, ben: -25}
        feedback: >
          Shaming a carer in front of the group punishes the situation that made him late,
          and teaches everyone that one mistake can cost them their place.
        goto: after-the-interruption

  after-the-interruption:         # this state decides nothing: 'next' routes on by itself
    narration: The room settles, one way or another.
    next:                         # tried from the top; the last branch has only 'goto'
      - when: cohesion < 45       # a condition on meters, members or flags
        goto: the-group-closes
      - goto: at-the-break        # the default, taken when no branch above holds

  at-the-break:
    title: At the break
    narration:                    # a text can follow what happened: the first version whose
      - when: ada_protected       # 'when' holds is shown, else the last one, which has no 'when'
        text: Ben comes over to you at the kettle. Ada is talking with two others by the window.
      - text: Ben comes over to you at the kettle. Ada stands alone by the window.
    lines:
      - ben: I ruined that for her, didn't I?
    time_limit: 60                # optional; seconds to decide...
    on_timeout:                   # ...and what happens if the time runs out first:
      goto: the-group-closes      # where the silence leads (alone: 'on_timeout: the-group-closes')
      rating: risky               # optional, as for a choice: how the silence is judged,
      effects: {ben: -5}          # what it changes,
      feedback: >                 # and why it matters (shown after it, and in the debrief)
        Ben asked you a direct question and heard nothing back. Left with his guilt, he is
        less likely to try to put things right with Ada.
    choices:
      - text: Take his worry seriously and ask if he would like to say something to Ada himself.
        rating: recommended
        when: ada_protected       # offered only when this holds
        effects: {cohesion: +10, ada: +5, ben: +5}
        feedback: >
          Ben's worry is an opening. Supporting him to repair things with Ada directly
          builds the connections between members that a new group needs.
        competencies: [6, 8]
        goto: ada-goes-on
      - text: Reassure him that it was nothing and Ada is fine.
        rating: acceptable
        effects: {ben: +5}
        feedback: >
          Kind, but it answers for Ada and closes down a chance for the two of them to
          connect.
        goto: an-uneasy-truce
      - text: Agree that it was bad timing and suggest he apologise to the whole group.
        rating: risky
        effects: {cohesion: -5, ben: -10}
        feedback: >
          A public apology puts Ben on display and draws the group's attention back to the
          lateness instead of to Ada.
        goto: an-uneasy-truce

  ada-goes-on:                    # an ending: 'ending' instead of choices or next
    narration: After the break Ada picks up where she left off, and Ben is the first to answer.
    ending:                       # this state ends the scenario
      outcome: strong             # strong | mixed | poor
      title: Ada goes on
      debrief: >                  # what made the difference; shown in the debrief
        You kept the floor for Ada and treated Ben's lateness as something to work with
        rather than punish.
  an-uneasy-truce:
    ending: {outcome: mixed, title: An uneasy truce}   # a short mapping fits on one line
  the-group-closes:
    narration: >
      The rest of the session stays on safe ground, and Ada does not come back the next
      week.
    ending:
      outcome: poor
      title: The group closes up
      debrief: Ada's first disclosure was lost, and with it some of the group's trust in you.

tests:                            # checks that 'groupsim test' runs; keep them passing as you edit
  - name: The recommended path ends strong
    choose: [1, 1]                # choice numbers in order ('timeout' lets a timer run out)
    expect:
      ending: ada-goes-on
      outcome: strong
      meters: {trust: ">= 55", cohesion: ">= 60"}   # a comparison in quotes, or an exact number
      members: {ada: 60}
      flags: {ada_protected: true}
      visited: [at-the-break]
  - name: Shaming Ben closes the group
    choose: [3]
    expect: {ending: the-group-closes, outcome: poor}
  - name: Saying nothing at the break costs Ben's trust
    choose: [2, timeout]
    expect: {ending: the-group-closes, outcome: poor, members: {ben: 56}}
  - name: Every ending can be reached
    reachable: [ada-goes-on, an-uneasy-truce, the-group-closes]
"""

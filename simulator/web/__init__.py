"""The web page: the trainee's front end as plain HTML pages, served by `groupsim serve`.

Beside the full-screen app (a terminal drawn in the browser, which a screen reader
cannot read), `groupsim serve` offers this: one server-rendered page per step — the
library, the briefing, each passage and decision as a form, feedback, the debrief
with its charts as SVG and tables, and the exports as downloads. It works with
JavaScript off, a screen reader, the keyboard alone and zoom (WCAG 2.1 AA).

Like the plain front end (`simulator.plain`) it only asks and tells: the rules come
from the play layer (`Settings`, `Run`, the debrief and the exports), and every run
is recorded through the records' `RunRecorder`, as the other front ends record. Runs
live in the server's own process (`sittings`), a bounded number at once, so no
process is started per browser.

- `sittings`: each browser's run in memory, by the token in its address and cookie.
- `views`: what the pages say, as plain data (words, passages, charts).
- `server`: the routes (`WebPage`), which `simulator.serve` adds to its application.
- `templates/`, `static/`: the pages' HTML (Jinja, everything escaped) and their CSS and script.

Imports the play layer, the records and the authoring library; nothing imports it but
`simulator.serve`, and it imports neither Textual nor the full-screen app.
"""

from simulator.web.server import PAGES, WebOptions, WebPage

__all__ = ["PAGES", "WebOptions", "WebPage"]

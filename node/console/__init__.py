"""The web console: every node serves it at ``/console`` (docs/console.md says what a reader finds where).

    GET /console                    the console's one HTML page: without JavaScript a login page
                                    naming the node and its organisation (server-rendered, in the
                                    language of Accept-Language); the page's modules take over after
    GET /console/static/{file}      its scripts, style sheet and translations, from
                                    node/console/static/ (no other origin is ever asked for anything)

The page is an application of plain ES modules (no build step): ``js/app.js`` logs in with
``POST /api/v1/sessions`` (a user's name and password) or a pasted certificate session token,
keeps the token in the tab's sessionStorage, and then reads the node's JSON API like any other
client, with the same access rules (`node.api.access`): the console holds no data of its own and
no privilege. One module per page under ``js/pages/``; ``js/api.js`` is the API client,
``js/i18n.js`` the translations (``i18n/en.json`` and ``i18n/zh.json``, which this package's
server-rendered login page reads too), ``js/values.js`` the section-7 checks of an entry form's
inputs, ``js/proof.js`` the Merkle proof check (WebCrypto SHA-256), ``js/chart.js`` the SVG chart.

Facts the node owns and the page needs before any API call (the node's name and organisation, the
currencies' minor digits and the Duration units that section 7 accepts, the validation codes'
explanations) are written into the page as one JSON data block by `node.console.page`, from their
one definition in the node and the VM.

Every console response carries `CONTENT_SECURITY_POLICY`: scripts only from the node itself, no
inline script, no connection to any other origin. Styles may be inline because the contract
documents (`baochain explain`'s self-contained HTML, shown in a sandboxed ``iframe srcdoc``, which
inherits the page's policy) carry their style sheet inline.
"""

from node.console.routes import CONTENT_SECURITY_POLICY, router

__all__ = ["CONTENT_SECURITY_POLICY", "router"]

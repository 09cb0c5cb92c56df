"""`baochain demo`: a whole claims network on this machine, a short story played on it, and the
network shut down, in one command that a business analyst can run and read.

    baochain demo [--keep] [--dir DIR] [--suite gm|intl]

What it does, in order:

1. Makes a network (`node.network.init`, as `baochain network init --spec` does) of four
   organisations, two insurers, a hospital and the regulator (`story.CAST`), in a new temporary
   folder, or in DIR with ``--dir``; every node on 127.0.0.1 on ephemeral ports, so that any
   number of demos and tests run side by side. The spec names no consensus: the network's
   default ordering is the demo's.
2. Starts the four nodes, each its own process (`node.network.control.up`), and waits until each
   is ready.
3. Deploys contracts/health.bao, compiled here with `baochain check`'s diagnostics, under the
   endorsement policy "majority".
4. Plays the story of `node.demo.story`, each step through the client library as the
   organisation's own wallet identity (`node.demo.ledger`), printing who did what, with amounts
   in CNY and the block that holds it. A step the contract answers otherwise than the story
   expects fails the demo, naming the step.
5. Prints the outcome, each node's height as the node itself reports it (once all reached the
   story's last block, or after a bounded wait), and the commands to explore further: `network
   status`, `contract query`, `tx show`, `block show`, and a node's API address.
6. Shuts the network down (`node.network.control.down`) and removes the temporary folder; with
   ``--keep`` the network keeps running (and its folder stays) for exploring.

Exit status, and what is left behind:

    0    the story played. Without --keep: every node stopped, the temporary folder removed
         (a --dir folder stays). With --keep: the nodes run on, the folder stays.
    1    a step failed: ``error: <what was being done> failed: <why>`` on stderr (a node that
         would not start adds the end of its log), no traceback; every node stopped, the
         temporary folder removed unless --keep (then it stays, for its nodes' logs).
    130  Ctrl-C (SIGINT) at any point; 143 for SIGTERM: every node process the demo started is
         stopped by its pid (`node.demo.lifecycle`), the temporary folder removed, no traceback.

Why the signals are caught by the demo itself and not left to Python's KeyboardInterrupt: a
shell starts a background job with SIGINT ignored, and Python then never installs its handler;
the demo installs its own for SIGINT and SIGTERM, so that Ctrl-C and `kill` end it the same
way wherever it was started. While the network shuts down both are ignored: a second Ctrl-C
cannot leave nodes behind, and the shutdown is bounded (SIGKILL after a timeout).

The nodes run in sessions of their own (`control.up`), so a Ctrl-C in the terminal reaches the
demo only, and the demo decides what to stop. A run takes seconds on a laptop, most of it
starting four Python processes; the budget is three minutes on two cores.

Modules: `story` (the cast and the story, as data), `ledger` (the story's calls on a running
network), `lifecycle` (the folder and the nodes: make, start, stop, remove), `cli` (the command).
"""

"""A local network on one machine: `baochain network init` makes every organisation's CA,
identities, node configuration and channel genesis in one folder (`layout`), from a spec
(`spec`); `network up`, `status` and `down` run it. `cli.network` is the click group."""

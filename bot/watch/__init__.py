"""Source watch: the feeds and pages a case depends on, checked politely, news to coordinators.

- `sources`: the domain of /watch and /unwatch (who may, what is kept, the case's coordinators);
- `safety`: which URLs and addresses may be fetched at all;
- `fetch`: one polite HTTP fetch (conditional, capped, timed out, redirects re-checked);
- `parse`, `keywords`: what a body holds and which items matter;
- `record`: a check's outcome written to the store (items, health, backoff), `notify` the
  notices it queues in the outbox;
- `review`: the news buttons ("Draft further information", "Not relevant", "Mute source");
- `poller`: the loop that claims due sources and checks them, in a thread of its own.

Nothing here imports `telegram`: the bot's handlers live in bot/telegram/handlers/watch.py.
"""

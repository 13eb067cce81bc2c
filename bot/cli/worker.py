"""`uabot worker [--until-idle]`: the outbox sender and the scheduler, without the bot front."""

from __future__ import annotations

import asyncio
import logging
import signal

import click

from bot.cli.context import LazyRuntime, pass_runtime
from bot.delivery.sender import DeliveryConfig
from bot.delivery.worker import (
    Worker,
    WorkerError,
    bot_endpoint,
    connect,
    make_bot,
    pacer_from_settings,
)
from bot.ops import Ops, serving
from bot.runtime import Runtime
from bot.scheduler import Scheduler, beside
from bot.watch import poller as watch
from bot.watch.poller import Watcher


@click.command("worker")
@click.option(
    "--until-idle", is_flag=True, help="Exit once nothing is due (for scripts and benchmarks)."
)
@pass_runtime
def worker(runtime: LazyRuntime, until_idle: bool) -> None:
    """Send queued alerts; stand by while another process sends for the same bot."""
    runtime.get().require_keys()
    try:
        asyncio.run(_run(runtime.get(), until_idle))
    except WorkerError as exc:
        raise click.ClickException(str(exc)) from None


async def _run(runtime: Runtime, until_idle: bool) -> None:
    # httpx logs every request URL at INFO, and a Bot API URL holds the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # SIGTERM: sends in flight finish and are recorded, unsent claims are given back.
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    settings = runtime.settings
    config = DeliveryConfig.from_settings(settings)
    token, base_url = bot_endpoint(settings)
    bot = make_bot(token, base_url, config.concurrency)
    pacer = pacer_from_settings(settings)
    # A script draining the outbox (--until-idle) serves no health: it is not a service.
    port = 0 if until_idle else settings.HEALTH_PORT
    ops = Ops(runtime.engine, pacer.paused_for, settings.SCHEDULER_INTERVAL)
    async with serving(ops, settings.HEALTH_HOST, port):
        if not await connect(bot, stop):
            return
        try:
            sending = Worker(
                runtime.sessions,
                runtime.engine,
                bot,
                pacer,
                config,
                standby_interval=settings.DELIVERY_STANDBY_INTERVAL,
            ).run(stop, until_idle=until_idle)
            if until_idle:  # a script draining the outbox: queue nothing new meanwhile
                await sending
            else:
                # The source watch beside them, in its own thread: it queues coordinators' news.
                sending = watch.beside(
                    sending, Watcher.from_settings(runtime.sessions, settings), stop
                )
                await beside(sending, Scheduler.from_settings(runtime.sessions, settings), stop)
        finally:
            await bot.shutdown()

"""`ringcast demo`: the end-to-end demo on the embedded default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def demo(
    contacts: Annotated[int, typer.Option(help="How many contacts to call", min=11)] = 200,
    language: Annotated[str, typer.Option(help="Prompts and number speaking: ar, fr or en")] = "fr",
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Leave the server up afterwards")
    ] = False,
    data_dir: Annotated[Path | None, typer.Option(help="Where to keep the demo's data")] = None,
    concurrency: Annotated[int, typer.Option(help="maxConcurrentCalls of the program")] = 40,
    pause_after: Annotated[int, typer.Option(help="Seconds before the pause window")] = 25,
    pause_for: Annotated[int, typer.Option(help="Length of the pause window in seconds")] = 15,
    dialer_processes: Annotated[
        int,
        typer.Option(
            help="Separate `ringcast dialer` processes to run the calls (media off the API's "
            "event loop, as `ringcast serve` runs its dialer); 0: the dialer in the API process",
            min=0,
        ),
    ] = 0,
) -> None:
    """Run a whole campaign on loopback (API, dialer, SIP callees) and check it."""
    import logging

    from ringcast.demo.run import DemoOptions, run_demo
    from ringcast.kit.fds import prepare_fds

    if language not in ("ar", "fr", "en"):
        raise typer.BadParameter("language is ar, fr or en")
    logging.basicConfig(level="WARNING", format="%(levelname)s %(name)s: %(message)s")
    prepare_fds()  # the dialer may run in this process (kit/fds.py)
    code = run_demo(
        DemoOptions(
            contacts=contacts,
            language=language,
            keep_running=keep_running,
            data_dir=data_dir,
            concurrency=concurrency,
            pause_after_s=pause_after,
            pause_for_s=pause_for,
            dialer_processes=dialer_processes,
        )
    )
    raise typer.Exit(code)

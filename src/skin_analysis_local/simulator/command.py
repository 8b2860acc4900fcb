"""`skin-analysis simulator`: run the provider simulator in the foreground."""

from __future__ import annotations

from typing import Annotated

import typer


def simulator_command(
    *,
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8089,
    api_key: Annotated[list[str], typer.Option(help="An accepted API key (repeat for more).")] = [],  # noqa: B006
    delay: Annotated[float, typer.Option(help="Seconds a task stays running (jitter ±1 s when > 0).")] = 5.0,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    webhook_url: Annotated[
        list[str], typer.Option(help="Endpoint notified of every finished task (repeat for more, at most 10).")
    ] = [],  # noqa: B006
    webhook_secret: Annotated[
        str | None, typer.Option(help="whsec_... secret that signs webhooks (default: generated, see /_sim/webhooks).")
    ] = None,
    setting: Annotated[
        list[str], typer.Option("--set", help="Any simulator setting as NAME=VALUE (see docs/simulator.md).")
    ] = [],  # noqa: B006
) -> None:
    """Run the Perfect Corp API simulator (v2.0 and v2.1, File API, uploads, results, units)."""
    # Imported here so other commands do not pay for Pillow and the simulator at start-up.
    from skin_analysis_local.simulator.config import SimulatorConfig  # noqa: PLC0415
    from skin_analysis_local.simulator.server import Simulator  # noqa: PLC0415
    from skin_analysis_local.simulator.signing import decode_secret  # noqa: PLC0415

    if webhook_secret is not None:
        try:
            decode_secret(webhook_secret)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--webhook-secret") from error
    overrides = dict(item.split("=", 1) for item in setting if "=" in item)
    config = SimulatorConfig(
        api_keys=tuple(api_key) or SimulatorConfig().api_keys,
        delay=delay,
        webhook_urls=tuple(webhook_url),
        webhook_secret=webhook_secret,
    )
    try:
        config = config.with_overrides(overrides)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--set") from error
    try:
        simulator = Simulator(config)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--webhook-url/--set") from error
    keys = ", ".join(config.api_keys)
    try:
        simulator.serve_forever(port, host, lambda url: typer.echo(_banner(url, keys, len(config.webhook_urls))))
    except KeyboardInterrupt:
        typer.echo("simulator stopped")


def _banner(url: str, keys: str, endpoints: int) -> str:
    """What the simulator prints once it listens (the secret itself stays behind GET /_sim/webhooks)."""
    return (
        f"simulator listening on {url} (keys: {keys}); "
        f"{endpoints} webhook endpoint(s), secret and control API at {url}/_sim/"
    )

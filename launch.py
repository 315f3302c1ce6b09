"""Start the Atelier studio: `python launch.py` (or the `atelier` command, or a Hugging Face Space)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from engines.device import DEVICE_CHOICES
from engines.settings import default_home, on_space


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; host and port default to GRADIO_SERVER_NAME / GRADIO_SERVER_PORT."""
    home = default_home()
    p = argparse.ArgumentParser(
        prog="atelier",
        description="Atelier: a browser studio for making pictures, sounds and words with deep learning.",
    )
    p.add_argument(
        "--host",
        default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        help="address to serve on (0.0.0.0 to reach it from other machines)",
    )
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    p.add_argument("--share", action="store_true", help="also open a temporary public *.gradio.live link")
    p.add_argument("--device", choices=DEVICE_CHOICES, default="auto", help="where models run")
    p.add_argument("--models-dir", default=str(home / "models"), help="where models you train are kept")
    p.add_argument("--outputs-dir", default=str(home / "outputs"), help="where everything you make is kept")
    p.add_argument("--max-upload", type=int, default=200, metavar="MB", help="largest upload accepted, in MB")
    p.add_argument(
        "--allow-downloads",
        action="store_true",
        help="let engines fetch optional weights from the internet (e.g. torchvision's VGG19)",
    )
    p.add_argument("--analytics", action="store_true", help="allow gradio's anonymous usage analytics")
    shared = p.add_argument_group("shared studio (on with --share, on a Hugging Face Space, or --multi-user)")
    shared.add_argument(
        "--multi-user", action="store_true", help="give every visitor a workspace of their own (gallery, models, quota)"
    )
    shared.add_argument("--quota-mb", type=float, default=500, help="disk each visitor's workspace may use")
    shared.add_argument("--train-minutes", type=float, default=20, help="longest training run a visitor may start")
    shared.add_argument("--trainings", type=int, default=1, help="trainings that may run at once (others queue)")
    shared.add_argument(
        "--queue-size", type=int, default=64, help="requests that may wait; beyond it the studio answers 'busy' at once"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Parse options, build the studio and serve it until interrupted."""
    args = parse_args(argv)
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "True" if args.analytics else "False"
    if not args.allow_downloads:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)

    from engines.settings import Settings  # after the env switches above
    from studio.app import build_app, launch_kwargs

    try:
        settings = Settings(
            device=args.device,
            models_dir=args.models_dir,
            outputs_dir=args.outputs_dir,
            allow_downloads=args.allow_downloads,
        )
        device = settings.torch_device()
    except ValueError as err:
        sys.exit(f"atelier: {err}")
    print(f"Atelier: models run on {device}; your work is kept in {settings.outputs_dir}", flush=True)
    shared = bool(args.share or args.multi_user or on_space())
    demo = build_app(
        settings,
        shared=shared,
        quota_mb=args.quota_mb,
        train_minutes=args.train_minutes,
        trainings=args.trainings,
        queue_size=args.queue_size,
    )
    if shared:
        print(
            f"Atelier: shared studio: each visitor gets a workspace of {args.quota_mb:.0f} MB under "
            f"{settings.workspaces_dir}; trainings run {args.trainings} at a time, "
            f"at most {args.train_minutes:g} minutes each",
            flush=True,
        )
    _, local_url, share_url = demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share,
        prevent_thread_lock=True,
        **launch_kwargs(settings, args.max_upload),
    )
    if args.share and not share_url:
        print(
            "Atelier: no share link could be made (is this machine offline?). "
            f"The studio keeps serving locally at {local_url}",
            flush=True,
        )
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        demo.close()


if __name__ == "__main__":
    main()

"""``build --shard K/N``: the overlay of every shard's output is the single-machine build."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import run_cli, write_example_config

from optout_site.build import shard as sharding
from optout_site.errors import UsageError


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_the_overlay_of_three_shards_is_the_single_build_byte_for_byte(tmp_path, capsys):
    cfg = write_example_config(tmp_path, output="whole")
    state = str(tmp_path / "state")
    assert run_cli(["build", "-c", str(cfg), "--state-dir", state]) == 0
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    owned: list[set[str]] = []
    signals: list[dict[str, bytes]] = []
    for k in (1, 2, 3):
        text = cfg.read_text(encoding="utf-8").replace("output: whole", f"output: part{k}")
        part_cfg = tmp_path / f"part{k}.yaml"
        part_cfg.write_text(text, encoding="utf-8")
        argv = ["build", "-c", str(part_cfg), "--state-dir", f"{state}{k}", "--shard", f"{k}/3"]
        assert run_cli(argv) == 0
        assert f"shard           {k}/3 of tree " in capsys.readouterr().out
        part = tree(tmp_path / f"part{k}")
        shutil.copytree(tmp_path / f"part{k}", overlay, dirs_exist_ok=True)
        # The site-level files every shard writes are the same bytes in each.
        signals.append(
            {
                k: v
                for k, v in part.items()
                if k in {"robots.txt", "ai.txt", ".well-known/tdmrep.json"}
            }
        )
        owned.append(
            {k for k in part}
            - set(signals[-1])
            - {
                p
                for p in part
                if p.startswith(
                    (
                        "ai-reservation",
                        "policies",
                        "license.xml",
                        "_headers",
                        "vercel.json",
                        ".htaccess",
                        "optout-site.",
                    )
                )
            }
        )
    assert tree(overlay) == tree(tmp_path / "whole")
    assert signals[0] == signals[1] == signals[2] and len(signals[0]) == 3
    # Every input file belongs to exactly one shard.
    assert not (owned[0] & owned[1]) and not (owned[1] & owned[2]) and not (owned[0] & owned[2])
    assert all(owned)


def test_shards_need_an_output_folder_and_a_whole_site_to_check(tmp_path, capsys):
    cfg = write_example_config(tmp_path, output="out")
    assert run_cli(["build", "-c", str(cfg), "--shard", "1/2", "--check"]) == 2
    assert "--check needs the whole site" in capsys.readouterr().err
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(re.sub(r"\n *output: out[^\n]*", "", text), encoding="utf-8")
    assert run_cli(["build", "-c", str(cfg), "--shard", "1/2"]) == 2
    assert "needs an output folder" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2"])
def test_shard_spelling(text):
    with pytest.raises(UsageError):
        sharding.Shard.parse(text)


@given(st.lists(st.integers(0, 10**6), max_size=60), st.integers(1, 7))
def test_assignment_covers_every_file_once_and_balances_bytes(sizes, count):
    named = [(f"f{i}", size) for i, size in enumerate(sizes)]
    owner = sharding.assign(named, count)
    assert set(owner) == {name for name, _ in named}
    assert set(owner.values()) <= set(range(count))
    loads = [sum(size + 1 for name, size in named if owner[name] == i) for i in range(count)]
    # Greedy largest-first: no shard exceeds another by more than one file's weight.
    assert max(loads) - min(loads) <= max((s + 1 for _, s in named), default=0)
    assert sharding.assign(list(reversed(named)), count) == owner  # order-independent

"""Replay: Play and Pause buttons that grow bqplot marks frame by frame in the page, not the kernel.

The kernel sends the whole replay once: for each mark, the points it holds at
the last frame and, for every frame, how many of them are shown (each frame of
a mark is a prefix of its last). The page then sets the marks' ``x`` and
``y`` in its copies of their models, as a kernel update would (bqplot redraws
them), and moves the step slider with them; nothing goes to the kernel per
frame. It draws on the browser's animation frames, one replay frame at most on
each and `interval` apart, paced from the last frame shown: on a busy machine
the replay slows down rather than skipping frames to catch up. When the
replay ends or is paused, ``value`` (the frame shown) goes to the kernel once,
so that what the kernel holds agrees with what is shown. Setting ``value``
from the kernel shows that frame and stops a replay.

Without a page (a plain ``python`` run, a widget-level test) the widget only
holds its traits; the marks are then the kernel's to draw.
"""

from __future__ import annotations

import anywidget
import bqplot as bq
import ipywidgets as ipw
import numpy as np
import traitlets as tr

# The ESM lives here, not in a .js file, so that it ships with the package as any module does.
_ESM = r"""
const PREFIX = "IPY_MODEL_";
// Half an animation frame at 60 Hz: a frame this early for its beat is drawn on this animation frame.
const SLACK_MS = 8;

// The replay of one view: its animation frame request, and the marks (and slider) it draws in the page.
function player(model, onState) {
  let timer = null;
  let shown = model.get("value");
  let dirty = false;  // the page drew frames the kernel has not been told of
  let marks = [];
  let slider = null;
  const get = (ref) => model.widget_manager.get_model(ref.slice(PREFIX.length));
  const resolve = async () => {
    marks = await Promise.all(model.get("marks").map(get));
    slider = model.get("slider") ? await get(model.get("slider")) : null;
  };
  let ready = resolve();
  const last = () => Math.max(0, (model.get("counts")[0] || [0]).length - 1);
  // The points arrive as float64 bytes (NaN and infinity included): decoded once per replay.
  const floats = (view) =>
    new Float64Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
  let decoded = null;
  const points = () => (decoded ??= model.get("points").map(([x, y]) => [floats(x), floats(y)]));

  // Show `frame`: each mark the first counts[mark][frame] of its points. Every frame of a
  // mark is a prefix of its last, so a mark already holding that many points is left alone.
  function draw(frame, { all = false } = {}) {
    const counts = model.get("counts");
    marks.forEach((mark, m) => {
      const n = counts[m][frame], x = mark.get("x");
      if (!all && x && x.length === n) return;
      // As a kernel update lands: set_state keeps these values out of what the page sends back.
      mark.set_state({
        x: points()[m][0].slice(0, n),
        y: points()[m][1].slice(0, n),
      });
    });
    if (slider) slider.set_state({ value: frame });
    shown = frame;
  }

  // Stop; `tell` the kernel the frame shown (when the page stopped, not the kernel).
  function stop({ tell = true } = {}) {
    const was = timer !== null;
    cancelAnimationFrame(timer);
    timer = null;
    if (was) {
      model.set(tell ? { value: shown, playing: false } : { playing: false });
      model.save_changes();
      if (tell) dirty = false;  // the kernel now draws what the page shows
    }
    onState(false);
  }

  async function play() {
    await ready;
    if (timer !== null) return;
    if (shown >= last()) {
      draw(0);  // at the end, Play replays from the start
      dirty = true;
    }
    const interval = model.get("interval");
    let due = performance.now() + interval;
    // One frame at most per animation frame, so that each is painted, none skipped or shown with
    // another. A frame on its beat keeps the beat (`interval` apart on average, whatever the display's
    // rate); a late one starts the beat again from itself, so that the frames after it do not catch up.
    const tick = (now) => {
      if (now < due - SLACK_MS) {
        timer = requestAnimationFrame(tick);
        return;
      }
      draw(shown + 1);
      dirty = true;
      if (shown >= last()) return stop();
      due = now > due + SLACK_MS ? now + interval : due + interval;
      timer = requestAnimationFrame(tick);
    };
    timer = requestAnimationFrame(tick);
    model.set("playing", true);
    model.save_changes();
    onState(true);
  }

  // From the kernel: a frame to show (the step slider) or a new replay. Either stops a replay.
  // The kernel draws that frame too, but only the marks it changed from what it last drew: the
  // page draws it whole when it has drawn frames of its own since.
  async function follow({ all = false } = {}) {
    await ready;
    const frame = Math.min(model.get("value"), last());
    const own = all || dirty || timer !== null;
    stop({ tell: false });
    if (own) draw(frame, { all });
    shown = frame;
    dirty = false;
  }
  model.on("change:value", () => {
    if (model.get("value") !== shown || timer !== null) follow();
  });
  model.on("change:points", () => {
    decoded = null;
    follow({ all: true });
  });
  model.on("change:counts", () => follow({ all: true }));
  model.on("change:marks", () => { ready = resolve(); });
  model.on("change:slider", () => { ready = resolve(); });
  return { play, pause: () => stop(), dispose: () => stop({ tell: false }) };
}

export default {
  render({ model, el }) {
    el.classList.add("replay-controls");
    const button = (label, icon) => {
      const b = document.createElement("button");
      b.className = "jupyter-widgets jupyter-button widget-button";
      b.title = label;
      b.innerHTML = `<span aria-hidden="true">${icon}</span> ${label}`;
      el.appendChild(b);
      return b;
    };
    const playButton = button("Play", "&#9654;");
    const pauseButton = button("Pause", "&#10074;&#10074;");
    const onState = (playing) => {
      playButton.disabled = playing;
      pauseButton.disabled = !playing;
    };
    const p = player(model, onState);
    playButton.addEventListener("click", () => p.play());
    pauseButton.addEventListener("click", () => p.pause());
    onState(false);
    return () => p.dispose();
  },
};
"""


class Replay(anywidget.AnyWidget):
    """Play and Pause buttons that replay bqplot marks frame by frame in the page.

    Attributes
    ----------
    marks : list of bqplot.Mark
        The marks the replay draws.
    points : list
        Per mark, ``[x, y]``: the points it holds at the last frame, as float64 bytes.
    counts : list
        Per mark, for each frame from 0 to the last, how many of its points are shown.
    value : int
        The frame shown.
    playing : bool
        Whether the page is replaying (sent when a replay starts and when it stops).
    interval : int
        Milliseconds between frames (a late frame delays those after it).
    slider : ipywidgets.IntSlider or None
        A slider that shows the frame while the page replays.
    """

    _esm = _ESM
    _css = ".replay-controls { display: flex; gap: 4px; align-items: center; }"
    marks = tr.List(tr.Instance(bq.Mark), help="The marks the replay draws.").tag(
        sync=True, **ipw.widget_serialization
    )
    points = tr.List(help="Per mark, [x, y]: its points at the last frame, as float64 bytes.").tag(sync=True)
    counts = tr.List(help="Per mark and frame, how many of its points are shown.").tag(sync=True)
    value = tr.Int(0, help="The frame shown.").tag(sync=True)
    playing = tr.Bool(False, help="Whether the page is replaying.").tag(sync=True)
    interval = tr.Int(40, help="Milliseconds between frames (a late frame delays those after it).").tag(
        sync=True
    )
    slider = tr.Instance(ipw.IntSlider, allow_none=True, help="A slider that follows the frame.").tag(
        sync=True, **ipw.widget_serialization
    )

    def load(self, frames: dict[bq.Mark, tuple[np.ndarray, np.ndarray, np.ndarray]], *, value: int) -> None:
        """Send a new replay, once, and show its frame `value`.

        Parameters
        ----------
        frames : dict
            For each of `marks`: ``(x, y, counts)``, the mark's points at the
            last frame and how many are shown at each frame (all marks have
            the same number of frames).
        value : int
            The frame to show.
        """
        if set(frames) != set(self.marks) or len({len(c) for _, _, c in frames.values()}) != 1:
            raise ValueError(
                "frames must give x, y and counts for each of the replay's marks, all of one length"
            )
        with self.hold_sync():
            self.points = [[_float64_bytes(frames[m][0]), _float64_bytes(frames[m][1])] for m in self.marks]
            self.counts = [[int(n) for n in frames[m][2]] for m in self.marks]
            self.value = value

    def points_at(self, mark: bq.Mark, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """The x and y that `mark` shows at `frame`, as the page draws them."""
        m = self.marks.index(mark)
        n = self.counts[m][frame]
        x, y = (np.frombuffer(values, np.float64) for values in self.points[m])
        return x[:n], y[:n]


def _float64_bytes(values) -> bytes:
    """Numbers as float64 bytes: sent as a binary buffer, NaN and infinity included (JSON has neither)."""
    return np.ascontiguousarray(values, np.float64).reshape(-1).tobytes()

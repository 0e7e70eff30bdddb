import { api } from "./api.js";
import { announce, h } from "./dom.js";

/**
 * A dead task's Replay button: `POST /api/tasks/:id/replay`, the code `switchyard replay
 * --task` runs, so the task runs exactly once more. Disabled once pressed, so a double
 * click sends one replay; `after` refreshes the view.
 */
export function replayButton(task, after) {
  const button = h("button", { type: "button", class: "replay", "aria-label": `Replay task ${task.id} (${task.agent})` }, "Replay");
  button.addEventListener("click", async () => {
    button.disabled = true;
    button.textContent = "Replaying…";
    try {
      await api(`/api/tasks/${encodeURIComponent(task.id)}/replay`, { method: "POST" });
      announce(`Task ${task.id} (${task.agent}) was queued again: it runs once more.`);
    } catch (error) {
      announce(`Replay of task ${task.id} failed: ${error.message}`, { error: true });
      button.disabled = false;
      button.textContent = "Replay";
      return;
    }
    await after();
  });
  return button;
}

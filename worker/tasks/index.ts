// The worker's tasks: one file each, registered here with their payload types.
import type { TaskList } from "graphile-worker";
import { cleanupSessions } from "./cleanup-sessions.ts";

declare global {
  namespace GraphileWorker {
    interface Tasks {
      cleanup_sessions: Record<string, never>;
    }
  }
}

export const taskList: TaskList = {
  cleanup_sessions: cleanupSessions as TaskList[string],
};

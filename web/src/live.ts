// The séance's live channel (/ws/sessions/{id}): JSON events, reconnecting with backoff.
// Each (re)connection starts with a `snapshot`, so nothing is lost while the network was gone.
import { wsUrl } from "./api";

export type LiveEvent = { type: string; [key: string]: unknown };
export type LiveState = "connecting" | "open" | "offline" | "refused";

export class LiveChannel {
  private socket: WebSocket | null = null;
  private retry = 0;
  private timer: number | undefined;
  private closed = false;
  state: LiveState = "connecting";

  constructor(
    private readonly sessionId: string,
    private readonly token: string,
    private readonly onEvent: (event: LiveEvent) => void,
    private readonly onState: (state: LiveState) => void,
  ) {
    window.addEventListener("online", this.reconnectNow);
    window.addEventListener("offline", this.dropNow);
    this.connect();
  }

  private setState(state: LiveState): void {
    this.state = state;
    this.onState(state);
  }

  private connect(): void {
    if (this.closed) return;
    this.setState(navigator.onLine ? "connecting" : "offline");
    const url = wsUrl(
      `/ws/sessions/${encodeURIComponent(this.sessionId)}?token=${encodeURIComponent(this.token)}`,
    );
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onmessage = (message) => {
      if (typeof message.data !== "string") return;
      try {
        const event = JSON.parse(message.data) as LiveEvent;
        if (event.type === "snapshot") {
          this.retry = 0;
          this.setState("open");
        }
        this.onEvent(event);
      } catch {
        /* an unreadable frame is skipped, the next snapshot repairs */
      }
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.closed) return;
      if (event.code === 4401 || event.code === 4403) {
        this.setState("refused"); // final: a new token is needed, retrying would not help
        return;
      }
      this.setState("offline");
      // 0.5 s, 1 s, 2 s… up to 10 s, with jitter so a room's phones do not all come back at once.
      const delay = Math.min(10_000, 500 * 2 ** this.retry) * (0.75 + Math.random() / 2);
      this.retry += 1;
      this.timer = window.setTimeout(() => this.connect(), delay);
    };
  }

  // The phone says the network is gone: say so now, rather than when a dead socket times out.
  // A closing handshake cannot complete without network, so the socket is let go at once; the
  // `online` event reconnects (and a slow retry, in case that event never comes).
  private dropNow = (): void => {
    const socket = this.socket;
    if (!socket || this.closed) return;
    this.socket = null;
    socket.onclose = null;
    socket.onmessage = null;
    socket.close(4000, "offline");
    this.setState("offline");
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.connect(), 10_000);
  };

  private reconnectNow = (): void => {
    if (this.closed || this.socket) return;
    window.clearTimeout(this.timer);
    this.retry = 0;
    this.connect();
  };

  close(): void {
    this.closed = true;
    window.clearTimeout(this.timer);
    window.removeEventListener("online", this.reconnectNow);
    window.removeEventListener("offline", this.dropNow);
    this.socket?.close(1000);
    this.socket = null;
  }
}

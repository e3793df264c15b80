// Drops: a countdown to the release time; the buy buttons bound to `open` come alive at zero.
// The server refuses any purchase before the release whatever the page shows.
document.addEventListener("alpine:init", () => {
  window.Alpine.data("plazaDrop", (iso) => ({
    open: !iso,
    label: "",
    init() {
      if (!iso) return;
      const release = Date.parse(iso);
      const template = this.$el.dataset.opens || this.$el.querySelector("[data-opens]")?.dataset.opens || "%(time)s";
      const pad = (n) => String(n).padStart(2, "0");
      // The buttons come alive at the release, not before: a click the server would refuse
      // ("This drop opens on ...") must not be offered. The seconds shown round up, and the
      // next tick is when they change, so the last one lands on the release itself.
      const tick = () => {
        const ms = release - Date.now();
        if (ms <= 0) {
          this.open = true;
          this.label = "";
          return;
        }
        const left = Math.ceil(ms / 1000);
        const hours = Math.floor(left / 3600);
        const time = `${pad(hours)}:${pad(Math.floor((left % 3600) / 60))}:${pad(left % 60)}`;
        this.label = template.replace("%(time)s", time);
        setTimeout(tick, ms - (left - 1) * 1000);
      };
      tick();
    },
  }));
});

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
      const tick = () => {
        const left = Math.max(0, Math.round((release - Date.now()) / 1000));
        if (left === 0) {
          this.open = true;
          this.label = "";
          clearInterval(timer);
          return;
        }
        const hours = Math.floor(left / 3600);
        const time = `${pad(hours)}:${pad(Math.floor((left % 3600) / 60))}:${pad(left % 60)}`;
        this.label = template.replace("%(time)s", time);
      };
      const timer = setInterval(tick, 1000);
      tick();
    },
  }));
});

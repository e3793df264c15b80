/* Plaza social: small Alpine.js components and htmx glue for the feed, the post page and the
   back-office composer. Loaded before Alpine starts (not deferred) so the components exist when
   Alpine initialises the page. Every page works without it: links and forms still go through. */
(() => {
  const clamp01 = (n) => Math.min(Math.max(n, 0), 1);

  /* htmx: a 422 answer carries the form with its error message, so show it (htmx leaves 4xx
     answers out by default). A swap into the product sheet opens the sheet. */
  document.addEventListener("htmx:beforeSwap", (event) => {
    const status = event.detail.xhr.status;
    if (status === 422 || status === 403) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target && target.id === "sc-sheet-body") {
      const sheet = document.getElementById("sc-sheet");
      if (sheet && !sheet.open) sheet.showModal();
      const title = sheet && sheet.querySelector("h2");
      if (title) title.focus({ preventScroll: true });
    }
  });
  /* A tap on the dimmed backdrop closes a sheet, as on every phone. */
  document.addEventListener("click", (event) => {
    const el = event.target;
    if (el instanceof HTMLDialogElement && el.classList.contains("sc-sheet")) {
      const r = el.getBoundingClientRect();
      const inside = event.clientX >= r.left && event.clientX <= r.right &&
        event.clientY >= r.top && event.clientY <= r.bottom;
      if (!inside) el.close();
    }
  });
  /* Times shown in the reader's own time zone ("Scheduled for ..."). */
  const localTimes = (root) => {
    root.querySelectorAll("time[data-local]").forEach((el) => {
      const when = new Date(el.getAttribute("datetime"));
      if (!Number.isNaN(when.getTime())) {
        el.textContent = when.toLocaleString(document.documentElement.lang || undefined, {
          dateStyle: "medium", timeStyle: "short",
        });
      }
    });
  };
  document.addEventListener("DOMContentLoaded", () => localTimes(document));
  document.addEventListener("htmx:afterSettle", (event) => localTimes(event.detail.elt || document));

  document.addEventListener("alpine:init", () => {
    /* A post's media: a horizontal scroll-snap track; the counter and the dots follow it.
       A tap on a photo shows or hides the names of the tagged products. */
    Alpine.data("socialCarousel", () => ({
      current: 0,
      labels: false,
      sync() {
        const track = this.$refs.track;
        if (track && track.clientWidth) this.current = Math.round(track.scrollLeft / track.clientWidth);
      },
      go(index) {
        const track = this.$refs.track;
        if (track) track.scrollTo({ left: index * track.clientWidth, behavior: "smooth" });
      },
    }));

    /* Share: the system share sheet where there is one (phones), else copy the link. */
    Alpine.data("socialShare", () => ({
      copied: false,
      async share() {
        const url = this.$el.dataset.url;
        const title = this.$el.dataset.title || document.title;
        if (navigator.share) {
          try {
            await navigator.share({ title, url });
            return;
          } catch (error) {
            if (error && error.name === "AbortError") return;
          }
        }
        try {
          await navigator.clipboard.writeText(url);
        } catch (error) {
          const field = document.createElement("textarea");
          field.value = url;
          document.body.appendChild(field);
          field.select();
          document.execCommand("copy");
          field.remove();
        }
        this.copied = true;
        setTimeout(() => { this.copied = false; }, 2200);
      },
    }));

    /* Replies: "Reply" under a comment fills the form's parent and says whom it answers. */
    Alpine.data("socialReply", () => ({
      parentId: "",
      parentName: "",
      init() {
        this.parentId = this.$el.dataset.parent || "";
        this.parentName = this.$el.dataset.parentName || "";
      },
      reply(id, name) {
        this.parentId = String(id);
        this.parentName = name;
        const field = this.$refs.body;
        if (field) {
          field.focus();
          field.scrollIntoView({ block: "center", behavior: "smooth" });
        }
      },
      cancel() {
        this.parentId = "";
        this.parentName = "";
      },
    }));

    /* The back-office composer: preview the chosen files, tap a photo to place a product tag,
       pick the product in a sheet, and send the tags as JSON with the form. */
    Alpine.data("socialComposer", (stateId) => {
      const state = JSON.parse(document.getElementById(stateId).textContent);
      return {
        previews: [],
        current: 0,
        tags: state.tags || [],
        maxTags: state.maxTags,
        maxImages: state.maxImages,
        pending: null,
        caption: state.caption || "",
        publish: state.publish || "now",
        publishAt: state.publishAt || "",
        fileError: "",
        get tagsJson() {
          return JSON.stringify(this.tags.map((t) => ({
            product_id: t.product_id, x: t.x, y: t.y, media_index: t.media_index,
            title: t.title, thumb: t.thumb,
          })));
        },
        get tzOffset() {
          if (!this.publishAt) return "";
          const when = new Date(this.publishAt);
          return Number.isNaN(when.getTime()) ? "" : String(when.getTimezoneOffset());
        },
        choose(event) {
          this.previews.forEach((p) => URL.revokeObjectURL(p.url));
          const files = [...event.target.files];
          const videos = files.filter((f) => f.type.startsWith("video/"));
          this.fileError = "";
          if (videos.length && files.length > 1) this.fileError = state.messages.mixed;
          else if (files.length > this.maxImages) this.fileError = state.messages.tooMany;
          this.previews = files.map((file) => ({
            url: URL.createObjectURL(file),
            video: file.type.startsWith("video/"),
            ratio: 1,
          }));
          this.current = 0;
          this.tags = this.tags.filter((t) => t.media_index < this.previews.length);
        },
        measure(event, index) {
          const el = event.target;
          const w = el.naturalWidth || el.videoWidth;
          const h = el.naturalHeight || el.videoHeight;
          if (w && h && this.previews[index]) this.previews[index].ratio = w / h;
        },
        place(event) {
          if (this.tags.length >= this.maxTags) {
            this.fileError = state.messages.tooManyTags;
            return;
          }
          const frame = event.currentTarget.getBoundingClientRect();
          this.pending = {
            media_index: this.current,
            x: Math.round(clamp01((event.clientX - frame.left) / frame.width) * 10000) / 10000,
            y: Math.round(clamp01((event.clientY - frame.top) / frame.height) * 10000) / 10000,
          };
          this.$refs.picker.showModal();
          const search = this.$refs.picker.querySelector("input[type=search]");
          if (search) search.focus();
        },
        pick(button) {
          if (!this.pending) return;
          const productId = Number(button.dataset.id);
          const same = this.tags.some((t) => t.product_id === productId && t.media_index === this.pending.media_index);
          if (!same) {
            this.tags.push({ ...this.pending, product_id: productId, title: button.dataset.title, thumb: button.dataset.thumb || "" });
          }
          this.pending = null;
          this.$refs.picker.close();
        },
        cancelPick() {
          this.pending = null;
          this.$refs.picker.close();
        },
        remove(index) {
          this.tags.splice(index, 1);
        },
      };
    });
  });
})();

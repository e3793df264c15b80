// Product page: the photo gallery and the variant picker (Alpine.js components).
// The picker repeats the rule of plaza/storefront/picker.py: options are chosen in order, and a
// value is offered when a variant in stock has it together with the values chosen before it.
document.addEventListener("alpine:init", () => {
  window.Alpine.data("storefrontGallery", () => ({
    current: 0,
    sync() {
      const track = this.$refs.track;
      if (track && track.clientWidth) this.current = Math.round(track.scrollLeft / track.clientWidth);
    },
    go(index) {
      const track = this.$refs.track;
      if (!track) return;
      this.current = index;
      const reduce = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
      track.scrollTo({ left: index * track.clientWidth, behavior: reduce ? "auto" : "smooth" });
    },
  }));

  window.Alpine.data("storefrontVariantPicker", (dataId) => {
    const data = JSON.parse(document.getElementById(dataId).textContent);
    const start = data.variants.find((v) => v.id === data.selected) || data.variants[0];
    return {
      variants: data.variants,
      chosen: start ? [...start.values] : [],
      variantId: start ? start.id : null,
      matches(variant, index, value) {
        if (variant.values[index] !== value) return false;
        for (let j = 0; j < index; j++) if (variant.values[j] !== this.chosen[j]) return false;
        return true;
      },
      offered(index, value) {
        return this.variants.some((v) => v.inStock && this.matches(v, index, value));
      },
      choose(index, value) {
        this.chosen[index] = value;
        for (let j = index + 1; j < this.chosen.length; j++) {
          if (this.offered(j, this.chosen[j])) continue;
          const next = this.variants.find((v) => v.inStock && this.matches(v, j, v.values[j]));
          if (next) this.chosen[j] = next.values[j];
        }
        const exact = this.variants.find((v) => v.values.every((x, k) => x === this.chosen[k]));
        this.variantId = exact ? exact.id : null;
        if (exact) {
          const url = new URL(window.location.href);
          url.searchParams.set("variant", exact.id);
          window.history.replaceState(null, "", url);
        }
      },
    };
  });
});

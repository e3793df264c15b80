/* Plaza back office: small Alpine.js components. Loaded before Alpine starts (not deferred),
   so that the components are registered when Alpine initialises the page. Every page works
   without them; they only make it quicker to use. */
document.addEventListener("alpine:init", () => {
  const splitValues = (text) => [
    ...new Set(String(text || "").split(/[,，、]/).map((v) => v.trim()).filter(Boolean)),
  ];

  /* The variants table of a new product follows the options as they are typed: one row per
     combination of option values (first option outermost, as the server builds them). What was
     typed in a row is kept while its combination exists, and comes back if it returns. */
  Alpine.data("variantEditor", (stateId) => {
    const state = JSON.parse(document.getElementById(stateId).textContent);
    return {
      options: state.options,
      rows: state.rows,
      maxVariants: state.maxVariants,
      defaultTitle: state.defaultTitle,
      tooMany: 0,
      typed: {},
      init() {
        if (this.$refs.serverRows) this.$refs.serverRows.remove();
        for (const row of this.rows) this.typed[row.key] = row;
      },
      parsedOptions() {
        const seen = new Set();
        const options = [];
        for (const option of this.options) {
          const name = String(option.name || "").trim();
          const values = splitValues(option.values);
          if (!name || !values.length || seen.has(name.toLowerCase())) continue;
          seen.add(name.toLowerCase());
          options.push({ name, values });
        }
        return options;
      },
      rebuild() {
        let combinations = [[]];
        for (const option of this.parsedOptions()) {
          combinations = combinations.flatMap((combo) => option.values.map((v) => [...combo, v]));
        }
        this.tooMany = combinations.length > this.maxVariants ? combinations.length : 0;
        for (const row of this.rows) this.typed[row.key] = row;
        this.rows = combinations.slice(0, this.maxVariants).map((values) => {
          const key = JSON.stringify(values);
          return (
            this.typed[key] || { key, values, sku: "", price: "", compare_at: "", stock: "0", errors: {} }
          );
        });
      },
    };
  });

  /* A button that copies a text (the new API token) to the clipboard. */
  Alpine.data("copyText", (text) => ({
    copied: false,
    async copy() {
      try {
        await navigator.clipboard.writeText(text);
      } catch (error) {
        const field = this.$root.querySelector("input");
        if (field) { field.select(); document.execCommand("copy"); }
      }
      this.copied = true;
      setTimeout(() => { this.copied = false; }, 2500);
    },
  }));

  /* The web address of a new shop follows its name until it is edited by hand. */
  Alpine.data("shopAddress", () => ({
    touched: false,
    suggest(name) {
      if (this.touched) return;
      const slug = String(name || "")
        .normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
        .toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);
      this.$refs.slug.value = slug;
    },
  }));
});

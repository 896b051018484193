// Decisions over the site's vendors ({id: {name, category, settings, cookies}}).

/** The ids of the vendors in one of ``categories``, in the configuration's order. */
export function vendorsIn(vendors, categories) {
  return Object.keys(vendors).filter((id) => categories.includes(vendors[id].category));
}

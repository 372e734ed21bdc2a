// Cold-import floor: an empty module.
export const handler = async () => ({});

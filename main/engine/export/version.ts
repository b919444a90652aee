import pkg from '../../../package.json' with { type: 'json' };

export const WINNOW_VERSION_FOR_CARD = pkg.version;

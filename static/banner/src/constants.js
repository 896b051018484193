// Constants in one place: the categories, Google Consent Mode's parameters, and the names
// the owner's page and the service rely on (interface words come with the config).

export const CATEGORY_IDS = ['necessary', 'performance', 'functionality', 'targeting', 'social'];

// Google Consent Mode v2 parameters and the category that grants each one.
export const CONSENT_MODE_PARAMS = {
  analytics_storage: 'performance',
  functionality_storage: 'functionality',
  personalization_storage: 'functionality',
  ad_storage: 'targeting',
  ad_user_data: 'targeting',
  ad_personalization: 'targeting',
};

// The first-party cookie that keeps the visitor's consent token.
export const TOKEN_COOKIE = 'consent_token';

// The owner's tags held back until the gate allows their vendor.
export const BLOCKED = '[data-consent-vendor]';

// The blocked tags not released yet: scripts still text/plain, frames, images and links still
// without their URL.
export const PENDING = `script[type="text/plain"]${BLOCKED},:is(iframe,img,link)${BLOCKED}[data-src]`;

function r(t){return/^(https?:\/\/[^\s]+|mailto:[^\s]+)$/i.test(t.trim())}function i(t){for(const s of t)if(s.startsWith("link:")&&r(s.slice(5)))return s.slice(5);return null}export{i as l,r as s};

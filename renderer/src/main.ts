import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { startRouter } from './state/router.svelte.js';
import { initDesktop } from './state/desktop.svelte.js';
import { initSession } from './state/session.svelte.js';
import { initTheme } from './state/theme.svelte.js';

// The token leaves the address bar before anything else runs.
initSession();
initTheme();
startRouter();
// In the desktop shell the controller's address and secret come over the preload, never in the URL.
await initDesktop();

export default mount(App, { target: document.getElementById('app')! });

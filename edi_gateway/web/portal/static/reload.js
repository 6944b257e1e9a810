// A flux still in progress: reload its page every 1.5 s until it is done.
setTimeout(function () { window.location.reload(); }, 1500);

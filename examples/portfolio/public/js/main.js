// Lazy-load gallery images below the fold.
document.querySelectorAll("main img").forEach((img) => { img.loading = "lazy"; });

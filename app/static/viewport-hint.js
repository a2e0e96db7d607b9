/* The login page tells the server how wide this window is (app/auth/device.py): a narrow
   screen lands town and department staff on the phone workspace /m/. */
document.cookie = "vw=" + Math.round(window.innerWidth || document.documentElement.clientWidth || 0) +
  "; path=/; max-age=31536000; SameSite=Lax";

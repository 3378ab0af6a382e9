# Catálogo en español de Custodia. Las claves son los códigos estables (E07, ON_HOLD,
# HELD_BEYOND_RELEASE) o nombres de textos de las páginas; en.ftl tiene exactamente las mismas
# claves (una prueba falla si no). docs/languages.md explica cómo añadir un mensaje.

## Idiomas y formatos

language-name = Español
date-long = { $day } de { $month } de { $year }
days = { $count ->
    [one] { $count } día
   *[other] { $count } días
}
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre

## Interfaz web (web-…)

web-skip-to-content = Saltar al contenido
web-language-switch = Idioma
web-language-unknown = El idioma pedido no está disponible: elija es o en.
web-nav-label = Principal
web-nav-home = Inicio
web-nav-waiting = Pendiente de usted
web-nav-cases = Casos
web-sign-out = Cerrar sesión
web-footer = Custodia — el registro, reglamento y libro contable compartidos de un acuerdo de custodia.
web-refused-title = Rechazado
web-refusal-code = Código
web-back-home = Volver al inicio
web-field = campo
web-csrf-refused = El formulario no llevaba el código de seguridad de esta sesión (regla: todo formulario se envía con el código CSRF de la sesión que lo mostró). No se cambió nada. Vuelva a cargar la página e inténtelo de nuevo.
web-no-randomness = El servidor no pudo obtener números aleatorios para una sesión; no se cambió nada.
web-sign-in-title = Iniciar sesión
web-sign-in = Iniciar sesión
web-sign-in-name = Nombre de usuario
web-sign-in-password = Contraseña
web-sign-in-UNAUTHENTICATED = Nombre de usuario o contraseña incorrectos.
web-sign-in-RATE_LIMITED = Demasiados intentos fallidos desde esta dirección o para este usuario: espere un minuto antes de volver a intentarlo.
web-home-title = Custodia
web-home-welcome = Sesión iniciada como { $name }.
web-home-agreements = Acuerdos
web-home-no-agreements = Ningún acuerdo está en su ámbito.
web-home-cases-of = casos
web-role-admin = administrador
web-role-sending_officer = funcionario del Estado de envío
web-role-receiving_officer = funcionario del Estado receptor
web-role-facility_officer = funcionario del centro
web-role-legal_officer = oficial jurídico
web-role-finance_officer = oficial de finanzas
web-role-inspector = inspector
web-role-auditor = auditor

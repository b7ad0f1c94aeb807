package io.seresnext.model.serving;

/** Prints {@code present NAME} or {@code absent NAME} for each class name given: what a class path holds. */
public final class ClassPathProbe {

    private ClassPathProbe() {
    }

    public static void main(String[] args) {
        for (String name : args) {
            boolean present;
            try {
                Class.forName(name, false, ClassPathProbe.class.getClassLoader());
                present = true;
            } catch (ClassNotFoundException e) {
                present = false;
            }
            System.out.println((present ? "present " : "absent ") + name);
        }
    }
}
